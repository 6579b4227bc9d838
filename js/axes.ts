/**
 * X-axis modes and the y range, as TensorBoard computes them (FORMATS.md §7).
 */

export type XAxisMode = "step" | "relative" | "wall_time";

export function isXAxisMode(v: unknown): v is XAxisMode {
  return v === "step" || v === "relative" || v === "wall_time";
}

/**
 * X values of one series. Wall time arrives in seconds; the chart works in ms so that
 * uPlot's time axis and our duration labels need no further scaling. RELATIVE is
 * measured from the series' own first point, so runs started at different times overlay.
 * `t0` (seconds) is that first point when `wallTime` is only a zoomed window of the run.
 */
export function xValues(
  mode: XAxisMode,
  step: ArrayLike<number>,
  wallTime: ArrayLike<number>,
  t0?: number,
): Float64Array {
  const n = step.length;
  const out = new Float64Array(n);
  if (mode === "step") {
    for (let i = 0; i < n; i++) out[i] = step[i];
  } else if (mode === "wall_time") {
    for (let i = 0; i < n; i++) out[i] = wallTime[i] * 1000;
  } else {
    const start = t0 ?? (n > 0 ? wallTime[0] : 0);
    for (let i = 0; i < n; i++) out[i] = (wallTime[i] - start) * 1000;
  }
  return out;
}

/**
 * Y extent over the given series, or null when nothing finite is visible.
 *
 * With ignoreOutliers, TB keeps the 5th..95th percentile of the sorted finite values
 * (only when there are more than 2) so one divergent step does not flatten the curve.
 * On a log axis only positive values can be placed, so the rest do not count.
 */
export function yExtent(
  series: ArrayLike<number>[],
  ignoreOutliers: boolean,
  log = false,
): [number, number] | null {
  // A typed array sorts numerically in native code: several times faster than number[] with a
  // comparator, and this runs on every zoom over every visible point of every run.
  let total = 0;
  for (const s of series) total += s.length;
  const all = new Float64Array(total);
  let n = 0;
  for (const s of series) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (Number.isFinite(v) && (!log || v > 0)) all[n++] = v;
    }
  }
  if (n === 0) return null;
  const ys = all.subarray(0, n);
  if (ignoreOutliers && n > 2) {
    // The two order statistics TB reads off the sorted values, found without sorting them all.
    const hi = Math.floor((n - 1) * 0.95);
    const lo = Math.ceil((n - 1) * 0.05);
    select(ys, hi, 0, n - 1);
    select(ys, lo, 0, hi); // everything before `hi` is now <= ys[hi]
    return [ys[lo], ys[hi]];
  }
  let min = ys[0];
  let max = ys[0];
  for (let i = 1; i < n; i++) {
    if (ys[i] < min) min = ys[i];
    else if (ys[i] > max) max = ys[i];
  }
  return [min, max];
}

/**
 * Reorders a[from..to] so that a[k] holds the value a sorted copy would have there, smaller or
 * equal values before it and greater or equal after (Hoare's quickselect, median-of-three
 * pivot): linear on average, where a sort of the ~70k visible values of 32 runs took ~5 ms.
 */
export function select(a: Float64Array, k: number, from: number, to: number): void {
  let lo = from;
  let hi = to;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three as the pivot, which also guards against sorted input
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Adds a margin so lines do not touch the frame, and opens up a zero-height range
 * (a constant series) so it is drawn in the middle rather than on an edge.
 */
export function padRange(lo: number, hi: number, log = false): [number, number] {
  if (log) {
    // Pad in decades: a linear margin would be invisible at one end and huge at the other.
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const m = b > a ? (b - a) * 0.05 : 0.5;
    return [10 ** (a - m), 10 ** (b + m)];
  }
  if (hi > lo) {
    const m = (hi - lo) * 0.05;
    return [lo - m, hi + m];
  }
  const m = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - m, hi + m];
}

/**
 * Values for a log axis: zero and negatives cannot be placed, so they become NaN and are
 * drawn as markers at the bottom edge (see chart.ts) instead of breaking the scale.
 */
export function forLog(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v > 0 ? v : Number.NaN;
  }
  return out;
}

/** Index of the point nearest to `x` in an ascending array (for the hover tooltip). */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

/** "1h 02m", "3m 05s", "4.2s": compact durations for the RELATIVE axis and tooltip. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? "-" : "";
  let s = Math.abs(ms) / 1000;
  if (s < 60) return `${sign}${+s.toFixed(s < 10 ? 2 : 1)}s`;
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s = Math.floor(s - m * 60);
  const p = (v: number) => String(v).padStart(2, "0");
  if (d > 0) return `${sign}${d}d ${p(h)}h`;
  if (h > 0) return `${sign}${h}h ${p(m)}m`;
  return `${sign}${m}m ${p(s)}s`;
}

/** Compact number label used in the tooltip's display text (data-* keep exact values). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(3);
  return String(+v.toPrecision(5));
}
