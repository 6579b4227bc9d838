/**
 * Per-pixel min/max reduction, the client-side twin of the kernel's reduction.
 *
 * Drawing 100k points into 400 pixels wastes time and hides nothing useful, but
 * plain decimation would hide spikes. Keeping first, last, min and max of every pixel
 * column draws the same picture as the full series; non-finite points are always kept
 * so NaN/inf markers never disappear.
 */
import { lowerBound, upperBound } from "./bisect";

/**
 * Indices (ascending) of the points to draw for the x range [xMin, xMax] at `width`
 * pixel columns. `x` must be sorted ascending. The nearest point outside each edge is
 * kept too, so the line runs to the border of a zoomed chart instead of stopping short.
 */
export function reduceIndices(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  xMin: number,
  xMax: number,
  width: number,
): Uint32Array {
  const { slots, before, after, nonFinite } = pixelSlots(x, y, xMin, xMax, width);
  const keep = new Set<number>(nonFinite);
  if (before >= 0) keep.add(before);
  if (after >= 0) keep.add(after);
  for (let k = 0; k < slots.length; k++) if (slots[k] >= 0) keep.add(slots[k]);
  return Uint32Array.from(keep).sort();
}

export interface PixelSlots {
  /** Per pixel column: first, last, argmin, argmax of the finite points in it (-1 = empty). */
  slots: Int32Array;
  /** The last point left of xMin and the first right of xMax (-1 = none). */
  before: number;
  after: number;
  /** Points inside [xMin, xMax] whose y is not finite (each to be drawn as a gap). */
  nonFinite: number[];
}

/** One pass over a sorted series, filing each point into its pixel column (see reduceIndices). */
export function pixelSlots(x: ArrayLike<number>, y: ArrayLike<number>, xMin: number, xMax: number, width: number): PixelSlots {
  const n = x.length;
  const cols = Math.max(1, Math.floor(width));
  const span = xMax - xMin;
  const slots = new Int32Array(cols * 4).fill(-1);
  const nonFinite: number[] = [];
  // x is ascending: the points in range are one slice, found by bisection (a zoom looks at
  // a few thousand of a run's points, not all of them)
  const from = lowerBound(x, xMin);
  const to = upperBound(x, xMax);
  const before = from - 1;
  const after = to < n ? to : -1;
  for (let i = from; i < to; i++) {
    const xi = x[i];
    const yi = y[i];
    if (!Number.isFinite(yi)) {
      nonFinite.push(i);
      continue;
    }
    let c = span > 0 ? Math.floor(((xi - xMin) / span) * cols) : 0;
    if (c >= cols) c = cols - 1;
    const k = c * 4;
    if (slots[k] < 0) {
      slots[k] = slots[k + 1] = slots[k + 2] = slots[k + 3] = i;
      continue;
    }
    slots[k + 1] = i;
    if (yi < y[slots[k + 2]]) slots[k + 2] = i;
    if (yi > y[slots[k + 3]]) slots[k + 3] = i;
  }
  return { slots, before, after, nonFinite };
}

/** Picks `idx` out of `a`: one gather used for step, wall time, value and smoothed alike. */
export function gather(a: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]];
  return out;
}
