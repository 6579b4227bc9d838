/**
 * TensorBoard's scalar smoothing: a debiased exponential moving average.
 *
 * Mirrors TB webapp/widgets/line_chart_v2/data_transformer.ts so a curve looks the
 * same here as in TensorBoard (FORMATS.md §7). The kernel uses the same formula for
 * reduced series, so both sides must agree to the last bit.
 */
export function smooth(values: ArrayLike<number>, weight: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  // TB clamps rather than rejects: a slider can never produce a broken chart.
  const w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 1);

  // A constant series stays as is; debiasing would otherwise add rounding noise.
  let allEqual = true;
  for (let i = 0; i < n; i++) {
    // Same test as TB (`v == ys[0]`): a NaN first value makes the series non-constant.
    if (!(values[i] === values[0])) {
      allEqual = false;
      break;
    }
  }
  if (allEqual) {
    for (let i = 0; i < n; i++) out[i] = values[i];
    return out;
  }

  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) {
      // NaN/inf are shown as they are and must not poison the average after them.
      out[i] = y;
      continue;
    }
    last = last * w + (1 - w) * y;
    count++;
    // Debiasing: the EMA starts at 0, so divide by the weight mass accumulated so far.
    const debias = w === 1 ? 1 : 1 - Math.pow(w, count);
    out[i] = last / debias;
  }
  return out;
}

/**
 * Smoothing of a window cut out of a longer series, continued from the full series'
 * smoothed value just before the window (`seed`, after `seedCount` finite points).
 *
 * Used when a zoomed reply arrives without kernel-side smoothing: restarting the EMA at
 * the window's left edge would bend the curve there. The EMA forgets old points
 * geometrically, so a seed taken from the full series makes the window match it closely.
 */
export function smoothContinued(
  values: ArrayLike<number>,
  weight: number,
  seed: number,
  seedCount: number,
): Float64Array {
  const w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 1);
  const out = new Float64Array(values.length);
  let count = Math.max(0, Math.floor(seedCount));
  // Undo the debiasing of the seed to recover the raw EMA state.
  let last = Number.isFinite(seed) && count > 0 ? seed * (w === 1 ? 1 : 1 - Math.pow(w, count)) : 0;
  if (!(Number.isFinite(seed) && count > 0)) count = 0;
  for (let i = 0; i < values.length; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * w + (1 - w) * y;
    count++;
    out[i] = last / (w === 1 ? 1 : 1 - Math.pow(w, count));
  }
  return out;
}
