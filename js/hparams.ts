/**
 * The HParams tab: one row per session run, a column per hyperparameter and per metric
 * (its final value), sortable by clicking a header and filterable by a regex over the row.
 * The checkbox of a row is that run's selection in every tab (the `selected_runs` trait).
 */
import { makeMatcher } from "./filter";
import { el, type HParamsReply, type MediaRequests } from "./media";

type Value = number | string | boolean | null;

/** Compare for sorting: missing values last, numbers numerically, the rest as text. */
export function compareValues(a: Value, b: Value): number {
  const missA = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
  const missB = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
  if (missA || missB) return missA === missB ? 0 : missA ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function formatValue(v: Value): string {
  if (v === null || v === undefined) return "";
  return String(v);
}

export interface Row {
  run: string;
  values: Value[];
}

/** Rows sorted by column `col` (-1 = run) in direction `dir` (1 or -1); ties keep run order. */
export function sortRows(rows: Row[], col: number, dir: number): Row[] {
  const key = (r: Row): Value => (col < 0 ? r.run : r.values[col]);
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => {
      const ka = key(x.r);
      const kb = key(y.r);
      const missA = ka === null || ka === undefined;
      const missB = kb === null || kb === undefined;
      // Missing values stay at the bottom whichever the direction.
      if (missA || missB) return missA === missB ? x.i - y.i : missA ? 1 : -1;
      return dir * compareValues(ka, kb) || x.i - y.i;
    })
    .map((x) => x.r);
}

export function filterRows(rows: Row[], pattern: string): Row[] {
  if (!pattern) return rows;
  const m = makeMatcher(pattern);
  return rows.filter((r) => m([r.run, ...r.values.map(formatValue)].join(" ")));
}

export interface PcAxis {
  name: string;
  x: number;
  /** numeric: [min, max]; categorical: the categories in order. */
  numeric: boolean;
  min: number;
  max: number;
  categories: string[];
}

/**
 * Parallel coordinates layout: an axis per column, evenly spaced; numbers scaled min..max
 * (bottom..top), other values as evenly spaced categories. Each row becomes a polyline; a
 * missing value breaks it (null point).
 */
export function pcLayout(
  columns: { name: string }[],
  rows: Row[],
  width: number,
  height: number,
  pad = 24,
): { axes: PcAxis[]; lines: { run: string; points: ([number, number] | null)[] }[] } {
  const n = columns.length;
  const axes: PcAxis[] = columns.map((c, i) => {
    const vals = rows.map((r) => r.values[i]).filter((v) => v !== null && v !== undefined);
    const numeric = vals.length > 0 && vals.every((v) => typeof v === "number" && Number.isFinite(v));
    const nums = numeric ? (vals as number[]) : [];
    const categories = numeric ? [] : [...new Set(vals.map(formatValue))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    return {
      name: c.name,
      x: n <= 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (n - 1),
      numeric,
      min: numeric ? Math.min(...nums) : 0,
      max: numeric ? Math.max(...nums) : 0,
      categories,
    };
  });
  const y = (a: PcAxis, v: Value): number | null => {
    if (v === null || v === undefined) return null;
    let f: number;
    if (a.numeric) {
      if (typeof v !== "number" || !Number.isFinite(v)) return null;
      f = a.max > a.min ? (v - a.min) / (a.max - a.min) : 0.5;
    } else {
      const k = a.categories.indexOf(formatValue(v));
      if (k < 0) return null;
      f = a.categories.length > 1 ? k / (a.categories.length - 1) : 0.5;
    }
    return height - pad - f * (height - 2 * pad);
  };
  const lines = rows.map((r) => ({
    run: r.run,
    points: axes.map((a, i) => {
      const yy = y(a, r.values[i]);
      return yy === null ? null : ([a.x, yy] as [number, number]);
    }),
  }));
  return { axes, lines };
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export class HParamsTab {
  readonly el: HTMLDivElement;
  private table: HTMLTableElement;
  private filter: HTMLInputElement;
  private note: HTMLDivElement;
  private data: HParamsReply | null = null;
  private reqId: number | null = null;
  private sortCol = -1;
  private sortDir = 1;
  private selected = new Set<string>();
  private stale = true;
  private pc: HTMLDivElement;

  constructor(
    private requests: MediaRequests,
    private setSelected: (runs: string[], on: boolean) => void,
    private onPaint: () => void,
    private color: (run: string) => string,
  ) {
    this.el = el("div", "nbtb-hparams-tab");
    this.el.dataset.testid = "hparams-tab";
    this.filter = el("input", "nbtb-filter");
    this.filter.type = "search";
    this.filter.placeholder = "Filter rows (regex)";
    this.filter.dataset.testid = "hparams-filter";
    this.filter.addEventListener("input", () => this.draw());
    this.note = el("div", "nbtb-empty");
    this.table = el("table", "nbtb-hparams-table");
    this.table.dataset.testid = "hparams-table";
    const scroll = el("div", "nbtb-hparams-scroll");
    scroll.append(this.table);
    this.pc = el("div", "nbtb-hparams-pc");
    this.pc.dataset.testid = "hparams-parallel";
    this.el.append(el("div", "nbtb-media-toolbar"), this.note, this.pc, scroll);
    (this.el.firstChild as HTMLElement).append(this.filter);
  }

  /** Selection changed elsewhere (or the catalog: fetch again when shown). */
  update(state: { selected: string[]; catalogChanged?: boolean }): void {
    this.selected = new Set(state.selected);
    if (state.catalogChanged) this.stale = true;
    this.draw();
  }

  /** Called when the tab is shown: fetch the table if we have none or it is stale. */
  show(): void {
    if (!this.stale || this.reqId !== null) return;
    this.reqId = this.requests.hparams((reply) => {
      this.reqId = null;
      this.stale = false;
      this.data = reply;
      this.draw();
      this.onPaint();
    });
  }

  private draw(): void {
    const d = this.data;
    if (!d) {
      this.note.textContent = "Loading…";
      this.note.hidden = false;
      return;
    }
    const cols = d.columns ?? [];
    this.note.textContent = d.rows.length === 0 ? "No hyperparameter data in this logdir." : "";
    this.note.hidden = this.note.textContent === "";
    const rows = sortRows(filterRows(d.rows, this.filter.value), this.sortCol, this.sortDir);
    const head = el("tr");
    const all = el("input");
    all.type = "checkbox";
    all.setAttribute("aria-label", "Select all shown runs");
    all.checked = rows.length > 0 && rows.every((r) => this.selected.has(r.run));
    all.addEventListener("change", () => this.setSelected(rows.map((r) => r.run), all.checked));
    const th0 = el("th");
    th0.append(all);
    head.append(th0);
    const header = (label: string, col: number, cls: string) => {
      const th = el("th", cls);
      const arrow = this.sortCol === col ? (this.sortDir > 0 ? " ▲" : " ▼") : "";
      th.textContent = label + arrow;
      th.dataset.column = label;
      th.dataset.col = String(col);
      th.title = `Sort by ${label}`;
      th.setAttribute("aria-sort", this.sortCol === col ? (this.sortDir > 0 ? "ascending" : "descending") : "none");
      th.addEventListener("click", () => {
        if (this.sortCol === col) this.sortDir = -this.sortDir;
        else (this.sortCol = col), (this.sortDir = 1);
        this.draw();
      });
      head.append(th);
    };
    header("Run", -1, "nbtb-hp-run");
    cols.forEach((c, i) => header(c.name, i, c.type === "metric" ? "nbtb-hp-metric" : "nbtb-hp-param"));
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const r of rows) {
      const tr = el("tr");
      tr.dataset.run = r.run;
      const box = el("input");
      box.type = "checkbox";
      box.checked = this.selected.has(r.run);
      box.setAttribute("aria-label", r.run);
      box.addEventListener("change", () => this.setSelected([r.run], box.checked));
      const td0 = el("td");
      td0.append(box);
      const runCell = el("td", "nbtb-hp-run");
      const sw = el("span", "nbtb-swatch");
      sw.style.background = this.color(r.run);
      runCell.append(sw, el("span", "", r.run));
      runCell.dataset.column = "run";
      tr.append(td0, runCell);
      cols.forEach((c, i) => {
        const td = el("td", c.type === "metric" ? "nbtb-hp-metric" : "nbtb-hp-param", formatValue(r.values[i]));
        td.dataset.column = c.name;
        tr.append(td);
      });
      tbody.append(tr);
    }
    this.table.replaceChildren(thead, tbody);
    this.drawParallel(cols, rows);
  }

  /** Parallel coordinates of the shown rows; a line's click toggles its run. */
  private drawParallel(cols: { name: string }[], rows: Row[]): void {
    if (cols.length === 0 || rows.length === 0) {
      this.pc.replaceChildren();
      return;
    }
    const W = Math.max(320, Math.min(1100, 150 * cols.length));
    const H = 220;
    const { axes, lines } = pcLayout(cols, rows, W, H, 28);
    // room on the right for the last axis' tick labels
    const root = svg("svg", { width: W + 60, height: H, viewBox: `0 0 ${W + 60} ${H}`, class: "nbtb-pc-svg" });
    for (const a of axes) {
      root.append(svg("line", { x1: a.x, x2: a.x, y1: 28, y2: H - 28, class: "nbtb-pc-axis" }));
      const label = svg("text", { x: a.x, y: 14, "text-anchor": "middle", class: "nbtb-pc-label" });
      label.textContent = a.name;
      const lo = svg("text", { x: a.x + 3, y: H - 14, class: "nbtb-pc-tick" });
      const hi = svg("text", { x: a.x + 3, y: 40, class: "nbtb-pc-tick" });
      lo.textContent = a.numeric ? formatValue(a.min) : (a.categories[0] ?? "");
      hi.textContent = a.numeric ? formatValue(a.max) : (a.categories.at(-1) ?? "");
      root.append(label, lo, hi);
    }
    for (const line of lines) {
      const segs: string[] = [];
      let pen = false;
      for (const p of line.points) {
        if (!p) {
          pen = false;
          continue;
        }
        segs.push(`${pen ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`);
        pen = true;
      }
      const on = this.selected.has(line.run);
      const path = svg("path", { d: segs.join(" "), class: `nbtb-pc-line${on ? "" : " nbtb-pc-off"}`, stroke: this.color(line.run) });
      path.dataset.run = line.run;
      const title = svg("title", {});
      title.textContent = line.run;
      path.append(title);
      path.addEventListener("click", () => this.setSelected([line.run], !on));
      root.append(path);
    }
    this.pc.replaceChildren(root);
  }

  destroy(): void {
    this.requests.cancel(this.reqId);
    this.el.remove();
  }
}
