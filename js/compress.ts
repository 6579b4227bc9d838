/**
 * TensorBoard's distribution compressor (plugins/distribution/compressor.py
 * `compress_histogram`, FORMATS.md §7): a histogram's value at each basis point (1/100 of a
 * percent) of its cumulative count, interpolated linearly inside a bucket. The Distributions
 * tab draws the 8 bands between consecutive values and the median line.
 *
 * The arithmetic follows the Python operation for operation (weights = count*10000/total,
 * then a running sum), so the values equal TensorBoard's bit for bit
 * (nbtb/widgets/histograms.py holds the same algorithm, tested against tensorboard).
 */

/** The normal CDF at -inf, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, +inf sigma, in basis points. */
export const NORMAL_HISTOGRAM_BPS: readonly number[] = [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000];

/**
 * numpy's pairwise summation (what `counts.sum()` computes for float64): plain below 8
 * values, 8 interleaved partial sums up to 128, halves above. A plain running sum differs
 * in the last bits for non-integer counts, and the total divides every weight.
 */
export function numpySum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let r = 0;
    for (let i = 0; i < n; i++) r += a[start + i];
    return r;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => a[start + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a, start, n2) + numpySum(a, start + n2, n - n2);
}

/** First index i with a[i] > x (numpy's searchsorted side="right"). */
function searchRight(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < a[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The value at each basis point of one histogram given as buckets (left, right, count),
 * `bps.length` numbers. An empty histogram gives zeros, as TensorBoard.
 */
export function compressHistogram(
  left: ArrayLike<number>,
  right: ArrayLike<number>,
  count: ArrayLike<number>,
  bps: readonly number[] = NORMAL_HISTOGRAM_BPS,
): Float64Array {
  const n = left.length;
  const out = new Float64Array(bps.length);
  if (n === 0) return out;
  const minmin = left[0];
  const maxmax = right[n - 1];
  const top = bps[bps.length - 1];
  const total = numpySum(count);
  const denom = total || 1.0;
  const weights = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += (count[i] * top) / denom;
    weights[i] = acc;
  }
  let b = 0;
  outer: while (b < bps.length) {
    let i = searchRight(weights, bps[b]);
    while (i < n) {
      const cum = weights[i];
      const prev = i > 0 ? weights[i - 1] : 0.0;
      if (cum === prev) {
        i++;
        continue;
      }
      const lhs = i === 0 || prev === 0 ? minmin : Math.max(right[i - 1], minmin);
      const rhs = Math.min(right[i], maxmax);
      out[b] = lhs + ((bps[b] - prev) * (rhs - lhs)) / (cum - prev);
      b++;
      continue outer;
    }
    break;
  }
  for (; b < bps.length; b++) out[b] = maxmax;
  return out;
}
