/**
 * The overview panel (torch-tb-profiler's "Overview"): the verdict, GPU utilisation, the step-time
 * breakdown as a stacked bar per step (plain DOM: a few dozen bars need no chart library), the
 * steps worth a look and the top ops by category. Everything comes from `Overview.to_dict()` in
 * the reply header; all its strings are shown as text.
 */
import { el } from "../dom";
import { formatUs } from "./selection";

export const CATEGORIES = ["Kernel", "Memcpy", "Memset", "Communication", "Runtime", "DataLoader", "CPU Exec", "Other"];
const COLORS = ["#4e79a7", "#f28e2b", "#edc948", "#b07aa1", "#e15759", "#76b7b2", "#59a14f", "#bab0ac"];

type Rec = Record<string, unknown>;
const MAX_BARS = 100;

/** Rows of a frame serialised as records, or as pandas' "split" / "dict" orients. */
export function records(v: unknown): Rec[] {
  if (Array.isArray(v)) return v.filter((r): r is Rec => typeof r === "object" && r !== null);
  if (v && typeof v === "object") {
    const o = v as Rec;
    if (Array.isArray(o.columns) && Array.isArray(o.data)) {
      const cols = o.columns as string[];
      const index = Array.isArray(o.index) ? (o.index as unknown[]) : [];
      return (o.data as unknown[][]).map((row, i) => {
        const r: Rec = { index: index[i] };
        cols.forEach((c, k) => (r[String(c)] = row[k]));
        return r;
      });
    }
    // {column: {index: value}}
    const cols = Object.keys(o);
    if (cols.length && cols.every((c) => o[c] && typeof o[c] === "object" && !Array.isArray(o[c]))) {
      const keys = Object.keys(o[cols[0]] as Rec);
      return keys.map((k) => {
        const r: Rec = { index: k };
        for (const c of cols) r[c] = (o[c] as Rec)[k];
        return r;
      });
    }
  }
  return [];
}

/**
 * The step-time breakdown of `Overview.to_dict()`: `columns`, `steps` (the index: step numbers,
 * then "average") and `rows` at the top level; a `breakdown` frame is read too.
 */
export function breakdownRows(ov: Record<string, unknown>): Rec[] {
  const { columns, steps, rows } = ov;
  if (Array.isArray(columns) && Array.isArray(rows)) {
    const index = Array.isArray(steps) ? steps : [];
    return rows.filter(Array.isArray).map((row: unknown[], i) => {
      const r: Rec = { step: index[i] ?? i };
      columns.forEach((c, k) => (r[String(c)] = row[k]));
      return r;
    });
  }
  return records(ov.breakdown);
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : Number(v) || 0);

export function renderOverview(ov: Record<string, unknown> | null): HTMLDivElement {
  const root = el("div", "nbtb-prof-overview");
  root.dataset.testid = "profile-overview";
  if (!ov) {
    root.append(el("div", "nbtb-empty", "No overview."));
    return root;
  }
  if (typeof ov.error === "string") {
    root.append(el("div", "nbtb-card-note", `Overview unavailable: ${ov.error}`));
    return root;
  }
  // headline: verdict, GPU utilisation, fraction
  const head = el("div", "nbtb-prof-headline");
  const verdict = el("div", "nbtb-prof-verdict", String(ov.verdict ?? ""));
  verdict.dataset.testid = "profile-verdict";
  head.append(verdict);
  const facts = el("div", "nbtb-prof-facts");
  const gpu = ov.gpu_utilization;
  facts.append(el("span", "", `GPU utilization: ${typeof gpu === "number" ? `${(gpu * 100).toFixed(1)} %` : "n/a (no GPU kernels)"}`));
  if (typeof ov.fraction === "number") facts.append(el("span", "", `fraction: ${(ov.fraction * 100).toFixed(1)} %`));
  const check = Array.isArray(ov.steps_to_check) ? ov.steps_to_check : [];
  if (check.length) facts.append(el("span", "", `steps to check: ${check.join(", ")}`));
  head.append(facts);
  root.append(head);

  // breakdown and top ops side by side when there is room
  const grid = el("div", "nbtb-prof-overview-grid");
  root.append(grid);
  // breakdown: one stacked bar per step (average last)
  const rows = breakdownRows(ov);
  if (rows.length) {
    const box = el("div", "nbtb-prof-breakdown");
    box.dataset.testid = "profile-breakdown";
    const legend = el("div", "nbtb-prof-legend");
    CATEGORIES.forEach((c, k) => {
      const sw = el("span", "nbtb-swatch");
      sw.style.background = COLORS[k];
      const item = el("span", "nbtb-prof-legend-item");
      item.append(sw, el("span", "", c));
      legend.append(item);
    });
    box.append(legend);
    const totals = rows.map((r) => num(r["Total"] ?? CATEGORIES.reduce((s, c) => s + num(r[c]), 0)));
    let max = 1e-9;
    for (const t of totals) if (t > max) max = t;
    // thousands of steps would be thousands of bars: the first MAX_BARS, the steps to check and
    // the average stand for them (the note says so)
    const flagged = new Set(check.map(String));
    const shown = rows.map((r, i) => i < MAX_BARS || flagged.has(String(r.step ?? r.index)) || r.step === "average");
    const hidden = shown.filter((v) => !v).length;
    rows.forEach((r, i) => {
      if (!shown[i]) return;
      const label = String(r.step ?? r.index ?? i);
      const line = el("div", "nbtb-prof-bar-row");
      line.dataset.step = label;
      if (check.map(String).includes(label)) line.classList.add("nbtb-prof-check");
      const bar = el("div", "nbtb-prof-bar");
      bar.style.width = `${(100 * totals[i]) / max}%`;
      const tip: string[] = [];
      CATEGORIES.forEach((c, k) => {
        const v = num(r[c]);
        if (v <= 0) return;
        const seg = el("span", "nbtb-prof-seg");
        seg.style.background = COLORS[k];
        seg.style.flexGrow = String(v);
        bar.append(seg);
        tip.push(`${c}: ${formatUs(v)}`);
      });
      line.title = `${label}: ${formatUs(totals[i])}\n${tip.join("\n")}`;
      line.append(el("span", "nbtb-prof-bar-label", label === "average" ? "avg" : `step ${label}`), el("span", "nbtb-prof-bar-track"), el("span", "nbtb-prof-bar-total", formatUs(totals[i])));
      line.children[1].append(bar);
      box.append(line);
    });
    if (hidden) box.append(el("div", "nbtb-card-note", `${hidden} more steps not drawn (first ${MAX_BARS}, the steps to check and the average shown).`));
    grid.append(box);
  }

  // top ops by category
  const top = records(ov.top_ops);
  if (top.length) {
    const table = el("table", "nbtb-prof-table");
    table.dataset.testid = "profile-top-ops";
    const tr = el("tr", "");
    for (const h of ["Category", "Name", "Calls", "Self", "Total"]) tr.append(el("th", "", h));
    const body = el("tbody", "");
    for (const r of top.slice(0, 50)) {
      const row = el("tr", "");
      const name = el("td", "nbtb-prof-name", String(r.name ?? ""));
      name.title = String(r.name ?? "");
      row.append(el("td", "", String(r.category ?? "")), name, el("td", "nbtb-num-cell", String(r.calls ?? "")), el("td", "nbtb-num-cell", formatUs(num(r.self_us))), el("td", "nbtb-num-cell", formatUs(num(r.total_us))));
      body.append(row);
    }
    const thead = el("thead", "");
    thead.append(tr);
    table.append(thead, body);
    const ops = el("div", "nbtb-prof-topops");
    ops.append(el("div", "nbtb-prof-subtitle", "Top ops"), table);
    grid.append(ops);
  }
  return root;
}
