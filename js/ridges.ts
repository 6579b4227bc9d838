/**
 * Layout math of the Histograms and Distributions charts (no DOM: unit-tested in node):
 * tick positions, where each step's ridge sits in offset mode, and colours by step.
 */

/** About `count` round tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // the finest round step giving at most ~1.5x the asked count
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= count * 1.5) ?? 10 * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(k === 0 ? 0 : +(k * step).toPrecision(12));
  return out;
}

export interface RidgeLayout {
  /** y (CSS px, downwards) of each ridge's baseline. */
  baseline: Float64Array;
  /** Height in px of a ridge at the largest count. */
  height: number;
}

/**
 * Offset mode (TB's vz-histogram-timeseries): ridges `plotH / 2.5` tall; the oldest step's
 * baseline at `top + height`, the newest at the bottom `top + plotH`, the rest by step in
 * between, so the step axis is linear. Overlay mode: every baseline at the bottom, full height.
 */
export function ridgeLayout(steps: ArrayLike<number>, top: number, plotH: number, mode: "offset" | "overlay"): RidgeLayout {
  const n = steps.length;
  const baseline = new Float64Array(n);
  if (mode === "overlay") {
    baseline.fill(top + plotH);
    return { baseline, height: plotH };
  }
  const height = plotH / 2.5;
  const s0 = n ? steps[0] : 0;
  const s1 = n ? steps[n - 1] : 0;
  for (let k = 0; k < n; k++) {
    const f = s1 > s0 ? (steps[k] - s0) / (s1 - s0) : 1;
    baseline[k] = top + height + f * (plotH - height);
  }
  return { baseline, height };
}

function parseHex(c: string): [number, number, number] | null {
  const m = c.trim().match(/^#([0-9a-f]{6})/i);
  if (m) {
    const v = parseInt(m[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const r = c.match(/rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/);
  return r ? [+r[1], +r[2], +r[3]] : null;
}

/** `a` mixed with `b` (t = 0 gives a, 1 gives b), as `rgb()`. Unknown colours give `a`. */
export function mix(a: string, b: string, t: number): string {
  const x = parseHex(a);
  const y = parseHex(b);
  if (!x || !y) return a;
  const c = x.map((v, i) => Math.round(v + (y[i] - v) * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * Overlay colour of step k of n: from the run colour faded toward the background (oldest) to
 * the run colour pushed toward the foreground (newest), light→dark on a light theme and
 * faint→bright on a dark one.
 */
export function stepColor(run: string, k: number, n: number, bg: string, fg: string): string {
  const f = n > 1 ? k / (n - 1) : 1;
  return f < 0.5 ? mix(run, bg, 0.8 * (1 - 2 * f)) : mix(run, fg, 0.45 * (2 * f - 1));
}

/** Fill opacity of distribution band i of 8 (0 = the lowest): darker toward the median. */
export function bandAlpha(i: number, bands = 8): number {
  const half = bands / 2;
  const d = i < half ? half - 1 - i : i - half; // 0 next to the median
  return [0.55, 0.4, 0.27, 0.15][Math.min(d, 3)];
}
