/**
 * Rebinning of a run's histograms onto one common set of equal-width bins, so the ridges
 * of every step line up (TensorBoard's webapp/widgets/histogram/histogram_util.ts, FORMATS.md §7):
 *
 * - the common range is [smallest left, largest right] over all steps with buckets; a
 *   zero-width range becomes [l/1.1 - 1, r*1.1 + 1];
 * - it is cut into `binCount` (30) equal bins;
 * - a bucket adds count * overlap / width to each bin it overlaps; a zero-width bucket
 *   goes whole to the bin holding its x (to the next bin when it sits on a shared edge;
 *   the last bin is closed on the right).
 *
 * Pure functions over typed arrays: unit-tested in node.
 */

export const DEFAULT_BIN_COUNT = 30;

/** One step's buckets: parallel arrays, sorted by left edge, non-overlapping. */
export interface Buckets {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  count: ArrayLike<number>;
}

export interface Rebinned {
  /** Left edge of bin 0; bin i spans [left + i*dx, left + (i+1)*dx]. */
  left: number;
  dx: number;
  binCount: number;
  /** One array of `binCount` counts per input histogram (empty arrays when no range exists). */
  counts: Float64Array[];
}

/** [min left, max right] over histograms that have buckets, or null when none has any. */
export function binRange(hists: Buckets[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  let any = false;
  for (const h of hists) {
    const n = h.left.length;
    if (n === 0) continue;
    any = true;
    // TB takes the first bucket's left and the last bucket's right.
    lo = Math.min(lo, h.left[0]);
    hi = Math.max(hi, h.right[n - 1]);
  }
  return any ? [lo, hi] : null;
}

/** Redistributes one histogram's counts over `binCount` bins of width dx starting at `left`. */
export function rebinOne(h: Buckets, left: number, dx: number, binCount: number): Float64Array {
  const out = new Float64Array(binCount);
  const n = h.left.length;
  let j = 0; // first input bucket that may still reach the current bin
  let carry = 0; // zero-width buckets sitting on the current bin's left edge
  for (let i = 0; i < binCount; i++) {
    const lo = left + i * dx;
    const hi = lo + dx;
    const last = i === binCount - 1;
    let y = carry;
    carry = 0;
    while (j < n) {
      const bl = h.left[j];
      const br = h.right[j];
      const c = h.count[j];
      if (!(bl > hi || br < lo)) {
        const w = br - bl;
        if (w === 0) {
          if (!last && br >= hi) carry += c;
          else y += c;
        } else {
          y += (c * (Math.min(br, hi) - Math.max(bl, lo))) / w;
        }
      }
      // A bucket that reaches past this bin also feeds the next one: keep it.
      if (br > hi) break;
      j++;
    }
    out[i] = y;
  }
  return out;
}

/** Rebins every histogram of one run onto the same bins. */
export function rebin(hists: Buckets[], binCount = DEFAULT_BIN_COUNT): Rebinned {
  const range = binCount >= 1 ? binRange(hists) : null;
  if (!range) return { left: 0, dx: 0, binCount: 0, counts: hists.map(() => new Float64Array(0)) };
  let [lo, hi] = range;
  if (lo === hi) {
    hi = hi * 1.1 + 1;
    lo = lo / 1.1 - 1;
  }
  const dx = (hi - lo) / binCount;
  return { left: lo, dx, binCount, counts: hists.map((h) => rebinOne(h, lo, dx, binCount)) };
}
