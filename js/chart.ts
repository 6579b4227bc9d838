/**
 * One scalar card's chart: one raw + one smoothed line per run.
 *
 * uPlot draws the axes and grid and handles the cursor, drag-zoom and double-click; the lines
 * and NaN markers are drawn on a canvas laid over it (linelayer.ts), in a worker where the
 * page allows, from one table with a shared x column. Runs have their own steps: many dense
 * runs share per-pixel slots (grid.ts); otherwise uPlot.join aligns them. The tooltip does
 * NOT use the table: it looks up each run's own nearest point, so it reports the exact
 * values the kernel sent.
 */
import uPlot from "uplot";
import { formatDuration, formatValue, padRange, type XAxisMode, xValues, yExtent } from "./axes";
import { withAlpha } from "./colors";
import { el } from "./dom";
import { LineLayer } from "./linelayer";
import type { LineJob } from "./lines";
import { markerCandidates, markersFor } from "./markers";
import type { Series } from "./protocol";
import { lowerBound, upperBound } from "./bisect";
import { gridTable, type Table } from "./grid";
import { gather, reduceIndices } from "./reduce";
import type { Theme } from "./theme";
import { Tooltip } from "./tooltip";

export interface ChartRun {
  run: string;
  color: string;
  series: Series;
  /** Smoothed values aligned with series.value (the card decides how they were computed). */
  smoothed: Float64Array;
  /** Wall time (s) of the run's first point; differs from series.wall[0] for a zoomed window. */
  t0: number;
}

export interface ChartSettings {
  xAxis: XAxisMode;
  yLog: boolean;
  ignoreOutliers: boolean;
}

export interface ChartEvents {
  /** The user zoomed (x range in axis units) or reset (null). */
  onZoom(range: [number, number] | null): void;
  /** Called after every paint; the dashboard uses the first one for data-ready. */
  onPaint(): void;
}

interface Prepared extends ChartRun {
  x: Float64Array;
  /** Indices of the values that may need a NaN/inf marker (markers.ts). */
  candidates: Int32Array;
}

/** What the lines layer draws, before the scales and plot box of a redraw are added. */
type Lines = Pick<LineJob, "x" | "ys" | "styles" | "markers">;

const HEIGHT = 220;
const RAW_ALPHA = 0.25;
/**
 * CSS px, raw and smoothed alike (the raw line is told apart by its fading). One device pixel
 * at ratio 1 is a hairline, which software rasterisers draw ~5x faster than a 1.5 px line
 * (its joins and AA edges): 64 dense lines took 135-200 ms to rasterise at 1.5 px.
 */
const LINE_WIDTH = 1;

/** 1500 -> "1.5k": TB-style compact step labels. */
function compact(v: number): string {
  const a = Math.abs(v);
  for (const [d, s] of [[1e9, "G"], [1e6, "M"], [1e3, "k"]] as const) {
    if (a >= d) return `${+(v / d).toFixed(2)}${s}`;
  }
  return String(+v.toPrecision(6));
}

/**
 * Orders a run's points by x. Steps normally arrive sorted, but wall time can go back
 * (clock changes, a restarted run writing to the same dir), and uPlot.join, the reduction
 * and the tooltip's binary search all need ascending x.
 */
export function prepare(r: ChartRun, x: Float64Array): Prepared {
  let sorted = true;
  for (let i = 1; i < x.length; i++) {
    if (x[i] < x[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return { ...r, x, candidates: markerCandidates(r.series.value) };
  const idx = Uint32Array.from(x.keys()).sort((a, b) => x[a] - x[b] || a - b);
  const s = r.series;
  const value = gather(s.value, idx);
  return {
    ...r,
    x: gather(x, idx),
    smoothed: gather(r.smoothed, idx),
    series: {
      ...s,
      step: gather(s.step, idx),
      wall: gather(s.wall, idx),
      value,
      smoothed: s.smoothed && gather(s.smoothed, idx),
    },
    candidates: markerCandidates(value),
  };
}

/** A joined column as the lines layer reads it: undefined (no point) -> NaN, null (a gap) -> Infinity. */
function column(a: ArrayLike<number | null | undefined>): Float64Array {
  return Float64Array.from(a, (v) => (v === undefined ? NaN : v === null ? Infinity : v));
}

/** Same table (by identity), scales, plot box and canvas: the picture would not change. */
function samePicture(a: LineJob, b: LineJob): boolean {
  const numbers = (j: LineJob) =>
    [j.xMin, j.xMax, j.yMin, j.yMax, j.pxRatio, j.canvas.width, j.canvas.height, j.box.left, j.box.top, j.box.width, j.box.height];
  const [p, q] = [numbers(a), numbers(b)];
  return a.x === b.x && a.ys === b.ys && a.markers === b.markers && a.yLog === b.yLog && p.every((v, i) => v === q[i]);
}


export class ScalarChart {
  readonly root: HTMLDivElement;
  private u: uPlot | null = null;
  private layer: LineLayer | null = null;
  private lines: Lines | null = null;
  /** The last job sent to the layer: a redraw that changes nothing it shows sends nothing. */
  private sent: LineJob | null = null;
  /** True from uPlot's draw hook to the end of that commit (see the setCursor hook). */
  private drawing = false;
  private runs: Prepared[] = [];
  private preparedCache = new WeakMap<Series, { from: ChartRun; mode: XAxisMode; out: Prepared }>();
  private zoom: [number, number] | null = null;
  private width = 320;
  private readonly tooltip: Tooltip;
  private shapeKey = "";
  private renders = 0;
  private rangeCache: { runs: Prepared[]; xMin: number; xMax: number; log: boolean; outliers: boolean; range: [number, number] } | null = null;

  constructor(
    host: HTMLElement,
    private settings: ChartSettings,
    private theme: Theme,
    private events: ChartEvents,
  ) {
    this.root = el("div", "nbtb-chart");
    this.tooltip = new Tooltip(this.root);
    host.append(this.root);
    this.width = Math.max(120, host.clientWidth || 320);
  }

  get zoomRange(): [number, number] | null {
    return this.zoom;
  }

  /** Same runs/settings and new points (reply, append): redraw, keeping any zoom. */
  setRuns(runs: ChartRun[]): void {
    this.runs = runs.map((r) => this.prepared(r));
    this.render();
  }

  /**
   * A run ready to draw. A reset or a reply redraws mostly the same series objects: their x,
   * sort and marker candidates are kept, not computed again for every run on every redraw.
   */
  private prepared(r: ChartRun): Prepared {
    const mode = this.settings.xAxis;
    const hit = this.preparedCache.get(r.series);
    if (hit && hit.from.smoothed === r.smoothed && hit.from.t0 === r.t0 && hit.from.color === r.color && hit.mode === mode) {
      return hit.out;
    }
    const out = prepare(r, xValues(mode, r.series.step, r.series.wall, r.t0));
    this.preparedCache.set(r.series, { from: r, mode, out });
    return out;
  }

  setSettings(s: ChartSettings): void {
    const rebuild = s.xAxis !== this.settings.xAxis || s.yLog !== this.settings.yLog;
    const xChanged = s.xAxis !== this.settings.xAxis;
    this.settings = s;
    if (xChanged) {
      // Zoom ranges are in axis units, meaningless in another mode.
      this.zoom = null;
      this.runs = this.runs.map((r) => this.prepared(r));
    }
    if (rebuild) this.destroyPlot();
    this.render();
  }

  setTheme(t: Theme): void {
    this.theme = t;
    // Axis/grid colours are functions read at draw time: a redraw picks the new theme up.
    this.u?.redraw(false, true);
  }

  resize(width: number): void {
    const w = Math.max(120, Math.floor(width));
    if (w === this.width) return;
    this.width = w;
    if (this.u) {
      this.u.setSize({ width: w, height: HEIGHT });
      this.render();
    }
  }

  resetZoom(): void {
    if (!this.zoom) return;
    this.zoom = null;
    const before = this.renders;
    this.events.onZoom(null);
    // the card may already have redrawn (setRuns with its unzoomed points): once is enough
    if (this.renders === before) this.render();
  }

  /** PNG data URL of the plot on the theme background (the canvas itself is transparent). */
  png(): string | null {
    const src = this.u?.ctx.canvas;
    if (!src) return null;
    const c = document.createElement("canvas");
    c.width = src.width;
    c.height = src.height;
    const ctx = c.getContext("2d");
    if (!ctx) return null;
    ctx.fillStyle = this.theme.bg;
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(src, 0, 0);
    // The lines canvas may belong to the worker: draw the same lines again here.
    this.layer?.paintOnto(ctx);
    return c.toDataURL("image/png");
  }

  destroy(): void {
    this.destroyPlot();
    this.tooltip.destroy();
    this.root.remove();
  }

  private destroyPlot(): void {
    this.layer?.destroy();
    this.layer = null;
    this.sent = null;
    this.u?.destroy();
    this.u = null;
    this.tooltip.forgetDots();
  }

  /** Indices to draw for one run: everything, unless it has many more points than pixels. */
  private visibleIndices(r: Prepared): Uint32Array | null {
    const n = r.x.length;
    if (!this.zoom && n <= 8 * this.width) return null;
    const lo = this.zoom ? this.zoom[0] : r.x[0];
    const hi = this.zoom ? this.zoom[1] : r.x[n - 1];
    const idx = reduceIndices(r.x, r.series.value, lo, hi, this.width);
    return idx.length < n ? idx : null;
  }

  /** x, every run's raw column, every run's smoothed column (smoothed draw on top). */
  private table(): Table {
    const log = this.settings.yLog;
    // Gaps (NaN, inf, and non-positive values on a log axis) become null: the line breaks
    // there, and a marker at the chart edge shows the point instead.
    const clean = (a: Float64Array) =>
      Array.from(a, (v) => (Number.isFinite(v) && (!log || v > 0) ? v : null));
    const grid = this.gridData();
    if (grid) return grid;
    const tables: uPlot.AlignedData[] = this.runs.map((r) => {
      const idx = this.visibleIndices(r);
      const x = idx ? gather(r.x, idx) : r.x;
      const raw = idx ? gather(r.series.value, idx) : r.series.value;
      const sm = idx ? gather(r.smoothed, idx) : r.smoothed;
      return [Array.from(x), clean(raw), clean(sm)] as uPlot.AlignedData;
    });
    if (tables.length === 0) return [new Float64Array(0)];
    const joined = tables.length === 1 ? tables[0] : uPlot.join(tables);
    // Reorder to x, all raw lines, then all smoothed lines, so smoothed draws on top.
    const k = this.runs.length;
    const out: Float64Array[] = [Float64Array.from(joined[0] as ArrayLike<number>)];
    for (let i = 0; i < k; i++) out.push(column(joined[1 + 2 * i]));
    for (let i = 0; i < k; i++) out.push(column(joined[2 + 2 * i]));
    return out;
  }

  /**
   * Many dense runs: one table of shared per-pixel slots (grid.ts) instead of joining every
   * run's x. Few or sparse points: null, and the exact join below is cheap enough.
   */
  private gridData(): Table | null {
    if (this.runs.length < 2) return null;
    let lo = Infinity;
    let hi = -Infinity;
    let points = 0;
    for (const r of this.runs) {
      const n = r.x.length;
      if (!n) continue;
      lo = Math.min(lo, r.x[0]);
      hi = Math.max(hi, r.x[n - 1]);
      points += n;
    }
    if (this.zoom) [lo, hi] = this.zoom;
    // the grid has 4 rows per column; below twice that many points a join is no bigger
    if (points < 8 * this.width) return null;
    const runs = this.runs.map((r) => ({ x: r.x, raw: r.series.value, smoothed: r.smoothed }));
    return gridTable(runs, lo, hi, this.width, this.settings.yLog);
  }

  /** Y range over the smoothed lines inside the visible x range (TB: non-aux series). */
  private yRange(xMin: number, xMax: number): [number, number] {
    // uPlot asks again on every redraw (setData, setScale, a cursor sync); the answer only
    // changes with the points, the x window and the settings.
    const c = this.rangeCache;
    if (c && c.runs === this.runs && c.xMin === xMin && c.xMax === xMax && c.log === this.settings.yLog
        && c.outliers === this.settings.ignoreOutliers) {
      return c.range;
    }
    const range = this.computeYRange(xMin, xMax);
    this.rangeCache = { runs: this.runs, xMin, xMax, log: this.settings.yLog, outliers: this.settings.ignoreOutliers, range };
    return range;
  }

  private computeYRange(xMin: number, xMax: number): [number, number] {
    const log = this.settings.yLog;
    // x is ascending (prepare): the visible points are one slice of each run, found by bisection
    const parts = this.runs.map((r) => r.smoothed.subarray(lowerBound(r.x, xMin), upperBound(r.x, xMax)));
    const ext = yExtent(parts, this.settings.ignoreOutliers, log);
    if (!ext) return log ? [1, 10] : [0, 1];
    if (log) {
      // Snap to 1-2-5 style bounds so the log axis starts and ends on labelled ticks.
      const [lo, hi] = padRange(ext[0], ext[1], true);
      const r = uPlot.rangeLog(lo, hi, 10, false);
      return [r[0] ?? lo, r[1] ?? hi];
    }
    return padRange(ext[0], ext[1], false);
  }

  private render(): void {
    this.renders++;
    const key = `${this.settings.xAxis}|${this.settings.yLog}`;
    if (this.u && key !== this.shapeKey) this.destroyPlot();
    this.shapeKey = key;
    const table = this.table();
    const styles = [
      ...this.runs.map((r) => ({ color: withAlpha(r.color, RAW_ALPHA), width: LINE_WIDTH })),
      ...this.runs.map((r) => ({ color: r.color, width: LINE_WIDTH })),
    ];
    this.lines = { x: table[0], ys: table.slice(1), styles, markers: markersFor(this.runs.map((r) => ({ color: r.color, x: r.x, value: r.series.value, candidates: r.candidates })), this.settings.yLog) };
    // uPlot gets the x column (for the x range) and one line that draws nothing: the y range is
    // ours (yRange) and the lines are the layer's.
    const data: uPlot.AlignedData = [table[0], table[this.runs.length + 1] ?? new Float64Array(table[0].length)];
    if (!this.u) {
      this.u = new uPlot(this.options(), data, this.root);
      this.u.root.addEventListener("mouseleave", () => this.tooltip.hide());
    } else {
      this.u.setData(data, !this.zoom);
    }
    if (this.zoom) this.u.setScale("x", { min: this.zoom[0], max: this.zoom[1] });
  }

  /** After uPlot drew the axes: the lines for its scales and plot box, unless nothing changed. */
  private sendLines(u: uPlot): void {
    this.drawing = true;
    queueMicrotask(() => {
      this.drawing = false;
    });
    const lines = this.lines;
    if (!lines) return;
    // uPlot's own canvas element (the first in its root; ours follows it)
    const canvas = u.root.querySelector("canvas");
    if (!canvas) return;
    if (!this.layer) this.layer = new LineLayer(canvas, () => this.events.onPaint());
    const x = u.scales.x;
    const y = u.scales.y;
    const job: LineJob = {
      ...lines,
      xMin: x.min ?? 0,
      xMax: x.max ?? 1,
      yMin: y.min ?? 0,
      yMax: y.max ?? 1,
      yLog: this.settings.yLog,
      box: { left: u.bbox.left, top: u.bbox.top, width: u.bbox.width, height: u.bbox.height },
      canvas: { width: canvas.width, height: canvas.height },
      pxRatio: uPlot.pxRatio,
    };
    if (this.sent && samePicture(this.sent, job)) return;
    this.sent = job;
    this.layer.draw(job);
  }

  private options(): uPlot.Options {
    const mode = this.settings.xAxis;
    const theme = () => this.theme;
    const axisCommon = {
      stroke: () => theme().fg,
      grid: { stroke: () => theme().grid, width: 1 },
      ticks: { stroke: () => theme().grid, width: 1, size: 4 },
      font: theme().font,
    };
    const xValuesFmt =
      mode === "step"
        ? (_u: uPlot, splits: number[]) => splits.map(compact)
        : mode === "relative"
          ? (_u: uPlot, splits: number[]) => splits.map(formatDuration)
          : undefined;
    // x, and one series uPlot ranges and hovers but never draws (the lines layer does)
    const series: uPlot.Series[] = [{}, { paths: () => null, points: { show: false } }];
    return {
      width: this.width,
      height: HEIGHT,
      ms: 1,
      legend: { show: false },
      padding: [8, 12, 0, 0],
      scales: {
        x: { time: mode === "wall_time" },
        y: {
          distr: this.settings.yLog ? 3 : 1,
          log: 10,
          // From our own zoom state: uPlot may call this before it updated scales.x.
          range: () => this.yRange(this.zoom?.[0] ?? -Infinity, this.zoom?.[1] ?? Infinity),
        },
      },
      axes: [
        { ...axisCommon, ...(xValuesFmt ? { values: xValuesFmt } : {}), space: 60 },
        {
          ...axisCommon,
          // A log axis leaves minor ticks unlabelled by passing null.
          values: (_u, splits) => splits.map((v) => (v == null ? "" : formatValue(v))),
          // Fit the widest label so long values are never clipped.
          size: (_u, values) => Math.max(36, 10 + 6.5 * Math.max(0, ...(values ?? []).map((s) => s.length))),
        },
      ],
      series,
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
        bind: {
          dblclick: () => () => {
            this.resetZoom();
            return null;
          },
        },
      },
      hooks: {
        setSelect: [(u) => this.onSelect(u)],
        // uPlot moves the cursor right after a redraw (same commit as the draw hook) and on
        // pointer moves: `drawing` tells the tooltip which one this is
        setCursor: [(u) => this.tooltip.show(u, this.runs, this.settings.yLog, this.drawing)],
        draw: [(u) => this.sendLines(u)],
      },
    };
  }

  private onSelect(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 4) return;
    const a = u.posToVal(left, "x");
    const b = u.posToVal(left + width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.zoom = [Math.min(a, b), Math.max(a, b)];
    this.render();
    this.events.onZoom(this.zoom);
  }

}
