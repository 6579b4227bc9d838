/**
 * The ops of a selected time range, aggregated by name (Chrome's trace viewer does the same):
 * an event counts when its span overlaps [a, b]; its whole duration and self time (duration
 * minus its children's, computed by the kernel) are summed. The table is text only.
 */
import { el } from "../dom";
import type { ProfileData } from "./wire";

export interface OpRow {
  name: string;
  cat: string;
  calls: number;
  total: number;
  self: number;
}

/** Aggregates the events overlapping [a, b] (µs, relative) by name, by total time descending. */
export function aggregateRange(d: ProfileData, a: number, b: number, lanes?: Set<number>): OpRow[] {
  const m = d.names.length;
  const calls = new Uint32Array(m);
  const total = new Float64Array(m);
  const self = new Float64Array(m);
  const cat = new Int32Array(m).fill(-1);
  for (let i = 0; i < d.n; i++) {
    const s = d.start[i];
    if (s > b || s + d.dur[i] < a) continue;
    if (lanes && !lanes.has(d.lane[i])) continue;
    const k = d.name[i];
    calls[k]++;
    total[k] += d.dur[i];
    self[k] += d.self[i];
    if (cat[k] < 0) cat[k] = d.cat[i];
  }
  const rows: OpRow[] = [];
  for (let k = 0; k < m; k++) {
    if (calls[k]) rows.push({ name: d.names[k], cat: d.cats[cat[k]] ?? "", calls: calls[k], total: total[k], self: self[k] });
  }
  rows.sort((x, y) => y.total - x.total || x.name.localeCompare(y.name));
  return rows;
}

/** 1234.5 µs -> "1.23 ms": the trace viewer's units. */
export function formatUs(us: number): string {
  const a = Math.abs(us);
  if (a >= 1e6) return `${+(us / 1e6).toPrecision(4)} s`;
  if (a >= 1e3) return `${+(us / 1e3).toPrecision(4)} ms`;
  if (a >= 1 || a === 0) return `${+us.toPrecision(4)} µs`;
  return `${+(us * 1e3).toPrecision(4)} ns`;
}

const MAX_ROWS = 200;

/** The table under the timeline; `show` fills it for a range. */
export class SelectionTable {
  readonly el: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly body: HTMLTableSectionElement;

  constructor() {
    this.el = el("div", "nbtb-prof-selection");
    this.el.dataset.testid = "profile-selection";
    this.el.dataset.rows = "0";
    this.title = el("div", "nbtb-prof-subtitle", "Drag with Shift (or in Select mode) to aggregate the ops of a range.");
    const table = el("table", "nbtb-prof-table");
    const head = el("thead", "");
    const tr = el("tr", "");
    for (const h of ["Name", "Category", "Calls", "Total", "Self", "Avg"]) tr.append(el("th", "", h));
    head.append(tr);
    this.body = el("tbody", "");
    table.append(head, this.body);
    this.el.append(this.title, table);
  }

  show(d: ProfileData, a: number, b: number): OpRow[] {
    const rows = aggregateRange(d, a, b);
    const calls = rows.reduce((s, r) => s + r.calls, 0);
    this.title.textContent = `${formatUs(a)} – ${formatUs(b)} (${formatUs(b - a)}): ${calls} events, ${rows.length} ops`;
    this.body.replaceChildren(
      ...rows.slice(0, MAX_ROWS).map((r) => {
        const tr = el("tr", "");
        tr.dataset.testid = "profile-selection-row";
        const name = el("td", "nbtb-prof-name", r.name);
        name.title = r.name;
        tr.append(name, el("td", "", r.cat), el("td", "nbtb-num-cell", String(r.calls)), el("td", "nbtb-num-cell", formatUs(r.total)), el("td", "nbtb-num-cell", formatUs(r.self)), el("td", "nbtb-num-cell", formatUs(r.total / r.calls)));
        return tr;
      }),
    );
    this.el.dataset.rows = String(rows.length);
    this.el.dataset.range = `${a},${b}`;
    return rows;
  }

  clear(): void {
    this.body.replaceChildren();
    this.el.dataset.rows = "0";
  }
}
