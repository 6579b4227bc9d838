/**
 * Draws a scalar chart's lines and NaN/inf markers onto a 2D context, from plain numbers.
 *
 * The same function runs in the lines worker (js/lines.worker.ts, on an OffscreenCanvas) and,
 * where workers or OffscreenCanvas are missing, on the main thread (js/linelayer.ts). It needs
 * no uPlot and no DOM: uPlot keeps the axes, grid, cursor and zoom selection; the job carries
 * the scales and the plot box it drew them with.
 *
 * Why not let uPlot stroke the lines: 64 dense lines rasterised on the main thread cost
 * 15-200 ms per redraw where the canvas is rasterised in software (headless Chromium, VMs and
 * remote desktops without a GPU), which froze the page on every zoom. In a worker that time
 * is off the main thread, as TensorBoard's own line chart does it.
 */

export interface LineStyle {
  /** CSS colour, alpha included (raw lines are drawn faded). */
  color: string;
  /** CSS pixels; 1 keeps the fast hairline path of software rasterisers. */
  width: number;
}

export interface Marker {
  x: number;
  /** true: NaN/+inf at the top edge; false: -inf (or a non-positive value on a log axis) at the bottom. */
  top: boolean;
  color: string;
}

export interface LineJob {
  /** Ascending x of every row, shared by all lines. */
  x: Float64Array;
  /** One column per line, drawn in order (later on top). NaN: no point in this row (the line
   * continues to the next point); ±Infinity: a gap (the line breaks). */
  ys: Float64Array[];
  styles: LineStyle[];
  markers: Marker[];
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  yLog: boolean;
  /** The plot area in device pixels (uPlot's bbox) and the whole canvas size. */
  box: { left: number; top: number; width: number; height: number };
  canvas: { width: number; height: number };
  pxRatio: number;
}

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Maps data values to device pixels the way uPlot's linear and log (base 10) scales do. */
function scaler(min: number, max: number, log: boolean, start: number, size: number, flip: boolean) {
  const f = log ? Math.log10 : (v: number) => v;
  const lo = f(min);
  const span = f(max) - lo || 1;
  return flip ? (v: number) => start + size - ((f(v) - lo) / span) * size : (v: number) => start + ((f(v) - lo) / span) * size;
}

/**
 * One line as a polyline with at most four vertices per pixel column (the column's entry,
 * lowest, highest and exit point): the picture of every point, at the cost of the columns.
 */
function linePath(ctx: Ctx2D, x: Float64Array, y: Float64Array, px: (v: number) => number, py: (v: number) => number): void {
  let col = NaN;
  let lo = 0;
  let hi = 0;
  let out = 0;
  let penDown = false;
  const flush = () => {
    if (penDown && hi !== lo) {
      ctx.lineTo(col, lo);
      ctx.lineTo(col, hi);
      ctx.lineTo(col, out);
    }
  };
  for (let i = 0; i < x.length; i++) {
    const v = y[i];
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) {
      flush();
      penDown = false;
      col = NaN;
      continue;
    }
    const c = Math.round(px(x[i]));
    const yy = py(v);
    if (c === col && penDown) {
      if (yy < lo) lo = yy;
      if (yy > hi) hi = yy;
      out = yy;
      continue;
    }
    flush();
    if (penDown) ctx.lineTo(c, yy);
    else ctx.moveTo(c, yy);
    penDown = true;
    col = c;
    lo = hi = out = yy;
  }
  flush();
}

/** Draws the job's lines, then its markers, clipped to the plot box (on a cleared canvas unless `clear` is false). */
export function drawLines(ctx: Ctx2D, job: LineJob, clear = true): void {
  const { box, pxRatio } = job;
  if (clear) ctx.clearRect(0, 0, job.canvas.width, job.canvas.height);
  if (!(job.xMax > job.xMin) || !(job.yMax > job.yMin)) return;
  const px = scaler(job.xMin, job.xMax, false, box.left, box.width, false);
  const py = scaler(job.yMin, job.yMax, job.yLog, box.top, box.height, true);
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.left, box.top, box.width, box.height);
  ctx.clip();
  ctx.lineJoin = "round";
  ctx.lineCap = "butt";
  job.ys.forEach((y, k) => {
    const style = job.styles[k];
    ctx.strokeStyle = style.color;
    ctx.lineWidth = style.width * pxRatio;
    ctx.beginPath();
    linePath(ctx, job.x, y, px, py);
    ctx.stroke();
  });
  ctx.restore();
  drawMarkers(ctx, job, px);
}

/** A small triangle at the top or bottom edge for each point a line cannot show. */
function drawMarkers(ctx: Ctx2D, job: LineJob, px: (v: number) => number): void {
  const { left, top, width, height } = job.box;
  const s = 4 * job.pxRatio;
  let last: { x: number; top: boolean; color: string } | null = null;
  for (const m of job.markers) {
    const x = px(m.x);
    if (x < left - 1 || x > left + width + 1) continue;
    // thousands of NaNs (a diverged run) land on few pixels: draw each spot once
    const spot = { x: Math.round(x), top: m.top, color: m.color };
    if (last && last.x === spot.x && last.top === spot.top && last.color === spot.color) continue;
    last = spot;
    const y = m.top ? top + s : top + height - s;
    ctx.fillStyle = m.color;
    ctx.beginPath();
    ctx.moveTo(x, m.top ? y - s : y + s);
    ctx.lineTo(x - s, m.top ? y + s * 0.6 : y - s * 0.6);
    ctx.lineTo(x + s, m.top ? y + s * 0.6 : y - s * 0.6);
    ctx.closePath();
    ctx.fill();
  }
}
