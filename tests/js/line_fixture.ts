/** A line-drawing job for the tests of js/lines.ts and js/linelayer.ts. */
import type { LineJob } from "../../js/lines";

/** A 100 x 100 device-pixel plot at (10, 0) on a 120 x 110 canvas, x and y both 0..100. */
export function lineJob(x: number[], ys: number[][], more: Partial<LineJob> = {}): LineJob {
  return {
    x: Float64Array.from(x),
    ys: ys.map((y) => Float64Array.from(y)),
    styles: ys.map((_, k) => ({ color: `#00000${k}`, width: 1 })),
    markers: [],
    xMin: 0,
    xMax: 100,
    yMin: 0,
    yMax: 100,
    yLog: false,
    box: { left: 10, top: 0, width: 100, height: 100 },
    canvas: { width: 120, height: 110 },
    pxRatio: 1,
    ...more,
  };
}
