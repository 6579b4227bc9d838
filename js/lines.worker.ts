/**
 * The lines worker: draws every chart's lines on its OffscreenCanvas (js/lines.ts), off the
 * page's main thread. One worker serves all charts of the page. Jobs that arrive while it
 * draws replace older ones for the same canvas, so a burst of redraws (a slider drag, a live
 * run) costs one drawing per canvas, not one per message.
 *
 * Messages in: {type: "canvas", id, canvas} (transferred), {type: "draw", id, seq, job},
 * {type: "drop", id}. Out: {type: "drawn", id, seq, at} once the job's picture is on the canvas,
 * `at` being when (ms since the epoch, the page converts it to its own clock).
 */
import { drawLines, type LineJob } from "./lines";

type In =
  | { type: "canvas"; id: number; canvas: OffscreenCanvas }
  | { type: "draw"; id: number; seq: number; job: LineJob }
  | { type: "drop"; id: number };

const canvases = new Map<number, OffscreenCanvas>();
const pending = new Map<number, { seq: number; job: LineJob }>();
let scheduled = false;

function flush(): void {
  scheduled = false;
  for (const [id, { seq, job }] of pending) {
    pending.delete(id);
    const canvas = canvases.get(id);
    if (!canvas) continue;
    if (canvas.width !== job.canvas.width) canvas.width = job.canvas.width;
    if (canvas.height !== job.canvas.height) canvas.height = job.canvas.height;
    const ctx = canvas.getContext("2d");
    // An uncaught error reaches the page as the worker's error event: it then draws every
    // chart on the main thread (js/linelayer.ts) rather than leave them blank.
    if (!ctx) throw new Error("no 2D context for an OffscreenCanvas in this worker");
    drawLines(ctx, job);
    postMessage({ type: "drawn", id, seq, at: performance.timeOrigin + performance.now() });
  }
}

self.onmessage = (ev: MessageEvent<In>) => {
  const m = ev.data;
  if (m.type === "canvas") canvases.set(m.id, m.canvas);
  else if (m.type === "drop") {
    canvases.delete(m.id);
    pending.delete(m.id);
  } else if (m.type === "draw") {
    pending.set(m.id, { seq: m.seq, job: m.job });
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 0);
    }
  }
};
