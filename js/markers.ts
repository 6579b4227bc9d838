/**
 * Markers for points a line cannot show.
 *
 * NaN and ±inf have no place on the y axis but must stay visible (they usually mean a
 * diverged run): a small triangle at the top (NaN, +inf) or bottom (-inf, and values a
 * log axis cannot show) edge, at the point's x, in the run's colour.
 */
import type uPlot from "uplot";

export interface MarkerRun {
  color: string;
  x: Float64Array;
  value: Float64Array;
}

/** Which edge a value's marker goes to, or null when the value is drawn normally. */
export function markerEdge(y: number, log: boolean): "top" | "bottom" | null {
  if (Number.isNaN(y) || y === Infinity) return "top";
  if (y === -Infinity || (log && y <= 0)) return "bottom";
  return null;
}

export function drawMarkers(u: uPlot, runs: MarkerRun[], log: boolean): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const s = 4 * devicePixelRatio;
  ctx.save();
  for (const r of runs) {
    ctx.fillStyle = r.color;
    for (let i = 0; i < r.value.length; i++) {
      const edge = markerEdge(r.value[i], log);
      if (!edge) continue;
      const px = u.valToPos(r.x[i], "x", true);
      if (px < left - 1 || px > left + width + 1) continue;
      const up = edge === "top";
      const py = up ? top + s : top + height - s;
      ctx.beginPath();
      ctx.moveTo(px, up ? py - s : py + s);
      ctx.lineTo(px - s, up ? py + s * 0.6 : py - s * 0.6);
      ctx.lineTo(px + s, up ? py + s * 0.6 : py - s * 0.6);
      ctx.closePath();
      ctx.fill();
    }
  }
  ctx.restore();
}
