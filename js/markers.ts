/**
 * Markers for points a line cannot show.
 *
 * NaN and ±inf have no place on the y axis but must stay visible (they usually mean a
 * diverged run): a small triangle at the top (NaN, +inf) or bottom (-inf, and values a
 * log axis cannot show) edge, at the point's x, in the run's colour. js/lines.ts draws them.
 */
import type { Marker } from "./lines";

/** Which edge a value's marker goes to, or null when the value is drawn normally. */
export function markerEdge(y: number, log: boolean): "top" | "bottom" | null {
  if (Number.isNaN(y) || y === Infinity) return "top";
  if (y === -Infinity || (log && y <= 0)) return "bottom";
  return null;
}

/**
 * Indices of the values that may need a marker on some axis (not finite, or not positive):
 * found once per run, so a redraw does not scan every point of every run again.
 */
export function markerCandidates(value: ArrayLike<number>): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (!(v > 0) || v === Infinity) out.push(i);
  }
  return Int32Array.from(out);
}

export interface MarkerRun {
  color: string;
  x: ArrayLike<number>;
  value: ArrayLike<number>;
  /** markerCandidates(value) */
  candidates: Int32Array;
}

/** The markers of every run on a linear or log axis, in x order within each run. */
export function markersFor(runs: MarkerRun[], log: boolean): Marker[] {
  const out: Marker[] = [];
  for (const r of runs) {
    for (const i of r.candidates) {
      const edge = markerEdge(r.value[i], log);
      if (edge) out.push({ x: r.x[i], top: edge === "top", color: r.color });
    }
  }
  return out;
}
