/**
 * The hover tooltip of a scalar chart, plus a dot on each run's smoothed line.
 *
 * For each run it shows that run's own point nearest to the cursor's x (runs have
 * different steps, so uPlot's shared cursor index would be wrong), with the exact float64
 * values in data-* attributes (tests compare them with the Python frame) and rounded ones
 * in the cells. Built with textContent only: run names come from the logdir.
 */
import type uPlot from "uplot";
import { formatDuration, formatValue, nearestIndex } from "./axes";
import { el } from "./dom";
import type { Series } from "./protocol";

export interface TooltipRun {
  run: string;
  color: string;
  x: Float64Array;
  smoothed: Float64Array;
  series: Series;
  t0: number;
}

// One formatter for every move: `toLocaleString` builds a new one per call, 32 runs × 60 Hz.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** A run's row, kept between moves: only the cells of a run whose nearest point changed are rewritten. */
interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  series: Series | null;
  index: number;
  smoothed: number;
  t0: number;
}

interface Geometry {
  /** The plot's top-left in the scroll container's content coordinates. */
  x0: number;
  y0: number;
  scrollLeft: number;
  scrollTop: number;
  width: number;
  height: number;
}

export class Tooltip {
  readonly el: HTMLDivElement;
  private size: [number, number] = [0, 0];
  private dots = new Map<string, HTMLDivElement>();
  private readonly table: HTMLTableElement;
  private readonly head: HTMLTableRowElement;
  private rows = new Map<string, Row>();
  private shown: HTMLTableRowElement[] = [];
  /** The geometry last read, and the plot box (uPlot's bbox) it was read for. */
  private last: { box: string; at: Geometry } | null = null;

  /** `anchor` is the chart's root; the tooltip moves into the dashboard's scroll container. */
  constructor(private anchor: HTMLElement) {
    this.el = el("div", "nbtb-tooltip");
    this.el.dataset.testid = "tooltip";
    this.el.hidden = true;
    this.head = el("tr", "nbtb-tt-head") as HTMLTableRowElement;
    for (const t of ["", "Run", "Smoothed", "Value", "Step", "Time", "Relative"]) this.head.append(el("th", "", t));
    this.table = el("table", "") as HTMLTableElement;
    this.table.append(this.head);
    this.el.append(this.table);
    anchor.append(this.el);
  }

  hide(): void {
    this.el.hidden = true;
    for (const d of this.dots.values()) d.hidden = true;
  }

  /** The plot was rebuilt: its overlay (and our dots in it) is gone. */
  forgetDots(): void {
    this.dots.clear();
    this.last = null;
  }

  destroy(): void {
    this.el.remove();
  }

  /**
   * Rows for the cursor's x. `redrawn`: the chart was just redrawn under a cursor that did not
   * move (a zoom, a reset, new points); the geometry of the last move still holds if the plot
   * box did not move, and reading it again would force a layout of the whole page right after
   * the chart's own writes (the zoom's selection box, ~3.5 ms in JupyterLab).
   */
  show(u: uPlot, runs: TooltipRun[], log: boolean, redrawn = false): void {
    const left = u.cursor.left ?? -1;
    if (left < 0 || runs.length === 0) return this.hide();
    // Geometry is read before anything is written, so reading it does not force a layout of
    // the page after our own changes (that cost ~4 ms a move in JupyterLab).
    const box = `${u.bbox.left},${u.bbox.top},${u.bbox.width},${u.bbox.height}`;
    const at = redrawn && this.last && this.last.box === box ? this.last.at : this.geometry(u);
    this.last = { box, at };
    const xv = u.posToVal(left, "x");
    const shown: HTMLTableRowElement[] = [];
    for (const r of runs) {
      const i = nearestIndex(r.x, xv);
      const dot = this.dot(u, r);
      dot.hidden = true;
      if (i < 0) continue;
      shown.push(this.row(r, i));
      const sm = r.smoothed[i];
      if (Number.isFinite(sm) && (!log || sm > 0)) {
        dot.hidden = false;
        dot.style.left = `${u.valToPos(r.x[i], "x")}px`;
        dot.style.top = `${u.valToPos(sm, "y")}px`;
      }
    }
    if (shown.length !== this.shown.length || shown.some((tr, k) => tr !== this.shown[k])) {
      this.table.replaceChildren(this.head, ...shown);
      this.shown = shown;
    }
    this.el.hidden = false;
    this.place(at, left, u.cursor.top ?? 0);
  }

  /** The run's row showing its point `i` (exact values in data-*, rounded ones in the cells). */
  private row(r: TooltipRun, i: number): HTMLTableRowElement {
    let row = this.rows.get(r.run);
    if (!row) {
      const tr = el("tr", "nbtb-tt-row") as HTMLTableRowElement;
      tr.dataset.run = r.run;
      const cells = Array.from({ length: 7 }, () => el("td", "") as HTMLTableCellElement);
      const sw = el("span", "nbtb-swatch");
      cells[0].append(sw);
      cells[1].className = "nbtb-tt-run";
      cells[1].textContent = r.run;
      tr.append(...cells);
      row = { tr, cells, series: null, index: -1, smoothed: NaN, t0: NaN };
      this.rows.set(r.run, row);
    }
    const sm = r.smoothed[i];
    if (row.series === r.series && row.index === i && Object.is(row.smoothed, sm) && row.t0 === r.t0) return row.tr;
    row.series = r.series;
    row.index = i;
    row.smoothed = sm;
    row.t0 = r.t0;
    const raw = r.series.value[i];
    const step = r.series.step[i];
    const wall = r.series.wall[i];
    const d = row.tr.dataset;
    d.raw = String(raw);
    d.smoothed = String(sm);
    d.step = String(step);
    d.wallTime = String(wall);
    (row.cells[0].firstChild as HTMLElement).style.background = r.color;
    row.cells[2].textContent = formatValue(sm);
    row.cells[3].textContent = formatValue(raw);
    row.cells[4].textContent = String(step);
    row.cells[5].textContent = TIME_FORMAT.format(new Date(wall * 1000));
    row.cells[6].textContent = formatDuration((wall - r.t0) * 1000);
    return row.tr;
  }

  private dot(u: uPlot, r: TooltipRun): HTMLDivElement {
    let d = this.dots.get(r.run);
    if (!d) {
      d = el("div", "nbtb-dot");
      d.style.borderColor = r.color;
      u.over.append(d);
      this.dots.set(r.run, d);
    }
    return d;
  }

  /** Where the plot and the scroll container are, and the tooltip's size as last drawn. */
  private geometry(u: uPlot): Geometry {
    const host = (this.anchor.closest(".nbtb-content") as HTMLElement | null) ?? this.anchor;
    if (this.el.parentElement !== host) host.append(this.el);
    const over = u.over.getBoundingClientRect();
    const box = host.getBoundingClientRect();
    if (!this.el.hidden) this.size = [this.el.offsetWidth, this.el.offsetHeight];
    return {
      x0: over.left - box.left + host.scrollLeft,
      y0: over.top - box.top + host.scrollTop,
      scrollLeft: host.scrollLeft,
      scrollTop: host.scrollTop,
      width: host.clientWidth,
      height: host.clientHeight,
    };
  }

  /**
   * Beside the cursor. The tooltip lives in the dashboard's scroll container (not in the
   * card) so it can be wider than the card without being clipped; it is kept inside the
   * container's visible area, flipping to the other side of the cursor when needed. Its size
   * is the one measured before this move's rows were written (rows keep their count and
   * nearly their width from move to move); a first show measures once.
   */
  private place(g: Geometry, left: number, top: number): void {
    if (!this.size[0]) this.size = [this.el.offsetWidth, this.el.offsetHeight];
    const [tw, th] = this.size;
    const cx = g.x0 + left;
    const cy = g.y0 + top;
    const maxX = g.scrollLeft + g.width - tw - 4;
    let x = cx + 16;
    if (x > maxX) x = Math.max(g.scrollLeft + 4, cx - 16 - tw);
    let y = cy + 16;
    if (y + th > g.scrollTop + g.height - 4) y = Math.max(g.scrollTop + 4, cy - 16 - th);
    this.el.style.left = `${x}px`;
    this.el.style.top = `${y}px`;
  }
}
