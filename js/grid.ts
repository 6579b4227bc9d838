/**
 * One drawing table for many runs, built without uPlot.join.
 *
 * A chart's lines are drawn from one shared x array (js/lines.ts, as uPlot's data would be),
 * while runs log at their own steps. Joining 32 reduced runs (~2,000 points each, at different steps) gives a table of up to
 * 64k rows x 64 columns: tens of ms to build and as much again to draw, at first paint and
 * on every zoom. A pixel column can show no more than its first, last, lowest and highest
 * point, so for dense runs each run is cut to those four per column and they are written
 * into four slots per column shared by all runs: 4 x columns rows, whatever the number of
 * runs. A point moves by less than one pixel column. The tooltip and the NaN markers keep
 * using each run's exact points (chart.ts), so no reported number changes.
 */

export interface GridRun {
  /** Ascending x of every point of the run. */
  x: ArrayLike<number>;
  raw: ArrayLike<number>;
  smoothed: ArrayLike<number>;
}

/**
 * x, then every run's raw column, then every run's smoothed column, all of one length; NaN
 * where a run has no point in a row (its line goes on to its next point). js/lines.ts draws it.
 */
export type Table = Float64Array[];

import { type PixelSlots, pixelSlots } from "./reduce";

const SLOTS = 4; // first, the earlier extreme, the later extreme, last

/**
 * The shared-slot table of `runs` over the x range [lo, hi] at `cols` pixel columns, or
 * null when the exact table must be used instead: a visible value that is not finite (or
 * not positive on a log axis) is drawn as a gap, which needs its exact place in the line.
 * The nearest point beyond each edge is kept at its own x, so lines run to the border of
 * a zoomed chart.
 */
export function gridTable(runs: GridRun[], lo: number, hi: number, cols: number, log = false): Table | null {
  const span = hi - lo;
  cols = Math.max(1, Math.floor(cols));
  if (!(span > 0) || !Number.isFinite(span)) return null;
  const drawable = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const perRun: PixelSlots[] = [];
  for (const r of runs) {
    const filed = pixelSlots(r.x, r.raw, lo, hi, cols);
    if (filed.nonFinite.length) return null;
    // Only the kept points are drawn, and a column's min is kept: checking them is enough.
    for (const i of [...filed.slots, filed.before, filed.after]) {
      if (i >= 0 && !(drawable(r.raw[i]) && drawable(r.smoothed[i]))) return null;
    }
    perRun.push(filed);
  }

  // Rows: the edge points' own x below lo, the slots, the edge points' x above hi.
  const edgeXs = (pick: (p: (typeof perRun)[number]) => number) =>
    [...new Set(perRun.map((p, j) => (pick(p) >= 0 ? runs[j].x[pick(p)] : NaN)).filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
  const below = edgeXs((p) => p.before);
  const above = edgeXs((p) => p.after);
  const gridRows = cols * SLOTS;
  const rows = below.length + gridRows + above.length;
  const x = new Float64Array(rows);
  for (let i = 0; i < below.length; i++) x[i] = below[i];
  const last = gridRows - 1;
  for (let g = 0; g < gridRows; g++) x[below.length + g] = lo + (span * g) / last;
  for (let i = 0; i < above.length; i++) x[below.length + gridRows + i] = above[i];

  const rawCols: Float64Array[] = [];
  const smoothCols: Float64Array[] = [];
  runs.forEach((r, j) => {
    const raw = new Float64Array(rows).fill(NaN);
    const sm = new Float64Array(rows).fill(NaN);
    const put = (row: number, i: number) => {
      raw[row] = r.raw[i];
      sm[row] = r.smoothed[i];
    };
    const { slots, before, after } = perRun[j];
    if (before >= 0) put(below.indexOf(r.x[before]), before);
    for (let c = 0; c < cols; c++) {
      const k = c * SLOTS;
      const first = slots[k];
      if (first < 0) continue;
      const lastI = slots[k + 1];
      const lowI = slots[k + 2];
      const highI = slots[k + 3];
      const base = below.length + k;
      put(base, first);
      // the two extremes in the order they happened, unless they are the first or last point
      const early = Math.min(lowI, highI);
      const late = Math.max(lowI, highI);
      if (early !== first && early !== lastI) put(base + 1, early);
      if (late !== first && late !== lastI && late !== early) put(base + 2, late);
      if (lastI !== first) put(base + 3, lastI);
    }
    if (after >= 0) put(below.length + gridRows + above.indexOf(r.x[after]), after);
    rawCols.push(raw);
    smoothCols.push(sm);
  });
  return [x, ...rawCols, ...smoothCols];
}
