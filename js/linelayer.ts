/**
 * A chart's lines canvas, laid over uPlot's canvas (which keeps the axes and grid) and under
 * its cursor overlay.
 *
 * Where the page allows it, the canvas is handed to the lines worker (js/lines.worker.ts) with
 * transferControlToOffscreen once the page is idle after the chart's first picture, and the
 * lines are rasterised there, off the main thread: a zoom or reset then costs the page its
 * JavaScript and layout, not the drawing of 64 dense lines.
 * Where workers or OffscreenCanvas are missing or refused (a strict CSP, an old browser, the
 * unit tests' happy-dom), the same drawing (js/lines.ts) runs here, on the main thread. A
 * worker that fails later gives its canvases back as fresh main-thread ones.
 */
import { drawLines, type LineJob } from "./lines";

/** The lines worker's bundle, put here by build.mjs (undefined in unit tests). */
declare const __NBTB_LINES_SRC__: string | undefined;

interface Client {
  /** `at`: when the worker finished drawing, on this page's performance.now() clock. */
  drawn(seq: number, at: number): void;
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
    this.worker.onmessage = (ev: MessageEvent<{ type: string; id: number; seq: number; at: number }>) => {
      if (ev.data.type === "drawn") this.clients.get(ev.data.id)?.drawn(ev.data.seq, ev.data.at - performance.timeOrigin);
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

  /**
   * Forgets a chart's canvas. The worker itself stays for the page's life, idle: charts are
   * destroyed and made again on an axis switch, and a new worker would cost its start-up.
   */
  drop(id: number): void {
    if (!this.clients.delete(id)) return;
    this.worker.postMessage({ type: "drop", id });
  }

  private fail(why: string): void {
    console.warn(`nbtb: chart lines are drawn on the main thread (${why})`);
    state = "refused";
    const clients = [...this.clients.values()];
    this.clients.clear();
    this.worker.terminate();
    URL.revokeObjectURL(this.url);
    if (painter === this) painter = null;
    for (const c of clients) c.lost();
  }
}

let painter: Painter | null = null;
let state: "untried" | "refused" = "untried";

/**
 * Starts the lines worker now, so its thread and script are ready by the first chart (the
 * dashboard calls this while the kernel is still reading the logdir).
 */
export function warmLines(): void {
  getPainter();
}

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

/** Runs `fn` when the page is idle (or after `ms` at the latest); returns a cancel function. */
function whenIdle(fn: () => void, ms: number): () => void {
  if (typeof requestIdleCallback === "function") {
    const h = requestIdleCallback(fn, { timeout: ms });
    return () => cancelIdleCallback(h);
  }
  const t = setTimeout(fn, Math.min(ms, 300));
  return () => clearTimeout(t);
}

export class LineLayer {
  /** The lines canvas on the screen. */
  canvas: HTMLCanvasElement;
  /**
   * "main": drawn here. "handing": still drawn here, while the worker's canvas (hidden, just
   * after ours) gets the same jobs until it shows the latest. "worker": drawn by the worker.
   */
  private mode: "main" | "handing" | "worker" = "main";
  /** The worker's id for its canvas (0: none). */
  private id = 0;
  private handed: HTMLCanvasElement | null = null;
  private seq = 0;
  private last: LineJob | null = null;
  private cancelIdle: (() => void) | null = null;
  /** The worker has drawn a job for us (so far an older one): see draw. */
  private workerAlive = false;
  /** The last job drawn on this thread. */
  private drawnHere = 0;

  /**
   * The lines canvas goes right after `under` (uPlot's canvas). `onDrawn` follows each job
   * whose picture is on the screen (a later job may replace an earlier one unseen).
   *
   * A chart's first pictures are drawn here: when the dashboard opens, the main thread is the
   * quickest way to a first chart, while a worker would start cold and share the CPU with the
   * kernel's replies. Once the page is idle the canvas is handed to the worker, for zooms,
   * resets and live updates.
   */
  constructor(
    under: Element,
    private readonly onDrawn: () => void,
  ) {
    this.canvas = LineLayer.makeCanvas("main");
    under.after(this.canvas);
  }

  draw(job: LineJob): void {
    this.last = job;
    this.seq++;
    if (this.mode === "worker" && painter) {
      painter.draw(this.id, this.seq, job);
      return;
    }
    // While handing over, jobs go to the worker too; once it has drawn one, only to it (else a
    // chart redrawn faster than the worker answers would be drawn twice, and never swapped).
    if (this.mode === "handing" && painter) {
      painter.draw(this.id, this.seq, job);
      if (this.workerAlive) return;
    }
    this.drawHere(job);
    if (this.mode === "main" && !this.cancelIdle && getPainter()) {
      this.cancelIdle = whenIdle(() => this.handOver(), 2000);
    }
  }

  /** Draws the last job's lines over `ctx` (a PNG export: uPlot's canvas is already on it). */
  paintOnto(ctx: CanvasRenderingContext2D): void {
    if (this.last) drawLines(ctx, this.last, false);
  }

  destroy(): void {
    this.cancelIdle?.();
    if (this.id) painter?.drop(this.id);
    this.id = 0;
    this.handed?.remove();
    this.canvas.remove();
  }

  /** Gives the worker a hidden canvas of its own and the latest job (see onWorkerDrawn). */
  private handOver(): void {
    const p = getPainter();
    if (!p || this.mode !== "main" || !this.canvas.isConnected) return;
    const c = LineLayer.makeCanvas("worker");
    c.style.visibility = "hidden";
    this.canvas.after(c);
    this.handed = c;
    this.mode = "handing";
    this.id = p.adopt(c, {
      drawn: (seq, at) => this.onWorkerDrawn(seq, at),
      lost: () => this.onWorkerLost(),
    });
    if (this.last) p.draw(this.id, this.seq, this.last);
  }

  private onWorkerDrawn(seq: number, at: number): void {
    this.workerAlive = true;
    if (seq !== this.seq) return; // a newer job is on its way
    if (this.mode === "handing" && this.handed) {
      // The worker's canvas shows the picture ours shows: swap them in one task, so no frame
      // has both (the faded raw lines would look darker) or neither.
      this.handed.style.visibility = "";
      this.canvas.remove();
      this.canvas = this.handed;
      this.handed = null;
      this.mode = "worker";
      if (this.drawnHere === seq) {
        this.canvas.dataset.drawn = String(seq);
        this.canvas.dataset.drawnAt = at.toFixed(1);
        return; // already reported: this thread drew the same job
      }
    }
    this.drawnNow(at);
  }

  /** The worker failed: draw here again (on a fresh canvas if ours went to the worker). */
  private onWorkerLost(): void {
    this.id = 0;
    if (this.mode === "handing") {
      this.handed?.remove();
      this.handed = null;
      // jobs sent only to the worker since it answered: draw the latest here
      if (this.last && this.drawnHere !== this.seq) this.drawHere(this.last);
    } else if (this.mode === "worker") {
      const fresh = LineLayer.makeCanvas("main");
      this.canvas.replaceWith(fresh);
      this.canvas = fresh;
      if (this.last) this.drawHere(this.last);
    }
    this.mode = "main";
  }

  private drawHere(job: LineJob): void {
    if (this.canvas.width !== job.canvas.width) this.canvas.width = job.canvas.width;
    if (this.canvas.height !== job.canvas.height) this.canvas.height = job.canvas.height;
    const ctx = this.canvas.getContext("2d");
    if (ctx) drawLines(ctx, job);
    this.drawnHere = this.seq;
    this.drawnNow(performance.now());
  }

  /**
   * The latest job is on the screen since `at`. A worker's picture shows without the main
   * thread, which may hear of it later (busy with other cards): benchmarks read drawnAt.
   */
  private drawnNow(at: number): void {
    this.canvas.dataset.drawn = String(this.seq);
    this.canvas.dataset.drawnAt = at.toFixed(1);
    this.onDrawn();
  }

  private static makeCanvas(where: "main" | "worker"): HTMLCanvasElement {
    const c = document.createElement("canvas");
    c.className = "nbtb-lines";
    c.dataset.testid = "chart-lines";
    c.dataset.where = where; // for tests and benchmarks
    // Over uPlot's canvas (uPlot's CSS gives every canvas in the chart 100% of its box), under
    // the cursor overlay that follows it, and never in the way of the mouse.
    Object.assign(c.style, { position: "absolute", left: "0", top: "0", pointerEvents: "none" });
    return c;
  }
}
