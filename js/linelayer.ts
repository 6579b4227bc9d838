/**
 * A chart's lines canvas, laid over uPlot's canvas (which keeps the axes and grid) and under
 * its cursor overlay.
 *
 * Where the page allows it, the canvas is handed to the lines worker (js/lines.worker.ts) with
 * transferControlToOffscreen, and the lines are rasterised there, off the main thread: a zoom
 * or reset then costs the page its JavaScript and layout, not the drawing of 64 dense lines.
 * Where workers or OffscreenCanvas are missing or refused (a strict CSP, an old browser, the
 * unit tests' happy-dom), the same drawing (js/lines.ts) runs here, on the main thread. A
 * worker that fails later gives its canvases back as fresh main-thread ones.
 */
import { drawLines, type LineJob } from "./lines";

/** The lines worker's bundle, put here by build.mjs (undefined in unit tests). */
declare const __NBTB_LINES_SRC__: string | undefined;

interface Client {
  drawn(seq: number): void;
  /** The worker is gone: draw on the main thread from now on. */
  lost(): void;
}

/** The page's one lines worker and the canvases it holds. */
class Painter {
  private readonly url: string;
  private readonly worker: Worker;
  private readonly clients = new Map<number, Client>();
  private nextId = 1;

  constructor(src: string) {
    this.url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    try {
      // classic, not module: module workers from blob: URLs fail in file:// pages (the report)
      this.worker = new Worker(this.url);
    } catch (err) {
      URL.revokeObjectURL(this.url);
      throw err;
    }
    this.worker.onmessage = (ev: MessageEvent<{ type: string; id: number; seq: number }>) => {
      if (ev.data.type === "drawn") this.clients.get(ev.data.id)?.drawn(ev.data.seq);
    };
    this.worker.onerror = (ev) => this.fail(ev.message || "worker error");
  }

  adopt(canvas: HTMLCanvasElement, client: Client): number {
    const offscreen = canvas.transferControlToOffscreen();
    const id = this.nextId++;
    this.clients.set(id, client);
    this.worker.postMessage({ type: "canvas", id, canvas: offscreen }, [offscreen]);
    return id;
  }

  draw(id: number, seq: number, job: LineJob): void {
    this.worker.postMessage({ type: "draw", id, seq, job });
  }

  drop(id: number): void {
    if (!this.clients.delete(id)) return;
    this.worker.postMessage({ type: "drop", id });
    if (this.clients.size === 0) this.close();
  }

  private fail(why: string): void {
    console.warn(`nbtb: chart lines are drawn on the main thread (${why})`);
    state = "refused";
    const clients = [...this.clients.values()];
    this.clients.clear();
    this.close();
    for (const c of clients) c.lost();
  }

  private close(): void {
    this.worker.terminate();
    URL.revokeObjectURL(this.url);
    if (painter === this) painter = null;
  }
}

let painter: Painter | null = null;
let state: "untried" | "refused" = "untried";

function getPainter(): Painter | null {
  if (painter || state === "refused") return painter;
  const src = typeof __NBTB_LINES_SRC__ === "string" ? __NBTB_LINES_SRC__ : "";
  const able =
    src !== "" &&
    typeof Worker !== "undefined" &&
    typeof OffscreenCanvas !== "undefined" &&
    typeof HTMLCanvasElement !== "undefined" &&
    "transferControlToOffscreen" in HTMLCanvasElement.prototype;
  if (!able) {
    state = "refused";
    return null;
  }
  try {
    painter = new Painter(src);
  } catch (err) {
    console.warn(`nbtb: chart lines are drawn on the main thread (${String(err)})`);
    state = "refused";
  }
  return painter;
}

export class LineLayer {
  canvas: HTMLCanvasElement;
  /** The worker's id for our canvas; 0 when we draw here. */
  private id = 0;
  private seq = 0;
  private last: LineJob | null = null;

  /**
   * The lines canvas goes right after `under` (uPlot's canvas). `onDrawn` follows each job
   * whose picture is on the screen (a later job may replace an earlier one unseen).
   */
  constructor(
    under: Element,
    private readonly onDrawn: () => void,
  ) {
    this.canvas = LineLayer.makeCanvas();
    under.after(this.canvas);
    const p = getPainter();
    if (p) {
      this.id = p.adopt(this.canvas, {
        drawn: (seq) => {
          if (seq === this.seq) this.drawnNow();
        },
        lost: () => this.toMainThread(),
      });
    }
    // where the lines are drawn, for tests and benchmarks
    this.canvas.dataset.where = this.id ? "worker" : "main";
  }

  draw(job: LineJob): void {
    this.last = job;
    this.seq++;
    if (this.id && painter) painter.draw(this.id, this.seq, job);
    else this.drawHere(job);
  }

  /** Draws the last job's lines over `ctx` (a PNG export: uPlot's canvas is already on it). */
  paintOnto(ctx: CanvasRenderingContext2D): void {
    if (this.last) drawLines(ctx, this.last, false);
  }

  destroy(): void {
    if (this.id) painter?.drop(this.id);
    this.id = 0;
    this.canvas.remove();
  }

  private drawHere(job: LineJob): void {
    if (this.canvas.width !== job.canvas.width) this.canvas.width = job.canvas.width;
    if (this.canvas.height !== job.canvas.height) this.canvas.height = job.canvas.height;
    const ctx = this.canvas.getContext("2d");
    if (ctx) drawLines(ctx, job);
    this.drawnNow();
  }

  private drawnNow(): void {
    this.canvas.dataset.drawn = String(this.seq);
    this.onDrawn();
  }

  private toMainThread(): void {
    const fresh = LineLayer.makeCanvas();
    this.canvas.replaceWith(fresh);
    this.canvas = fresh;
    this.id = 0;
    fresh.dataset.where = "main";
    if (this.last) this.drawHere(this.last);
  }

  private static makeCanvas(): HTMLCanvasElement {
    const c = document.createElement("canvas");
    c.className = "nbtb-lines";
    c.dataset.testid = "chart-lines";
    // Over uPlot's canvas (uPlot's CSS gives every canvas in the chart 100% of its box), under
    // the cursor overlay that follows it, and never in the way of the mouse.
    Object.assign(c.style, { position: "absolute", left: "0", top: "0", pointerEvents: "none" });
    return c;
  }
}
