// @vitest-environment happy-dom
/**
 * Where a chart's lines are drawn (js/linelayer.ts): on the main thread first (the quickest
 * first picture), then, once the page is idle, by the lines worker when the page has Worker
 * and OffscreenCanvas; back on the main thread if that worker fails.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { lineJob } from "./line_fixture";

// one line on a 60 x 50 canvas
const JOB = lineJob([0, 1], [[0, 1]], { xMax: 1, yMax: 1, box: { left: 0, top: 0, width: 50, height: 40 }, canvas: { width: 60, height: 50 } });

/** A worker that records what it is sent; the test plays its replies and its failure. */
class FakeWorker {
  static last: FakeWorker | null = null;
  sent: { msg: Record<string, unknown>; transfer?: unknown[] }[] = [];
  terminated = false;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: { message: string }) => void) | null = null;
  constructor(public url: string) {
    FakeWorker.last = this;
  }
  postMessage(msg: Record<string, unknown>, transfer?: unknown[]) {
    this.sent.push({ msg, transfer });
  }
  terminate() {
    this.terminated = true;
  }
  /** The worker reports job `seq` of canvas `id` drawn, `ms` after the page's time origin. */
  reply(id: unknown, seq: number, ms = 0) {
    this.onmessage!({ data: { type: "drawn", id, seq, at: performance.timeOrigin + ms } });
  }
  draws() {
    return this.sent.filter((s) => s.msg.type === "draw").map((s) => s.msg.seq);
  }
}

/** A 2D context stub that counts strokes. */
function stubContext() {
  const strokes = { n: 0 };
  const ctx = new Proxy({} as Record<string | symbol, unknown>, {
    get: (t, p) => (p === "stroke" ? () => strokes.n++ : p in t ? t[p] : () => undefined),
    set: (t, p, v) => ((t[p] = v), true),
  });
  HTMLCanvasElement.prototype.getContext = (() => ctx) as never;
  return strokes;
}

/** requestIdleCallback that waits for the test to say the page is idle. */
function stubIdle() {
  const queue: (() => void)[] = [];
  vi.stubGlobal("requestIdleCallback", (fn: () => void) => queue.push(fn));
  vi.stubGlobal("cancelIdleCallback", () => {});
  return () => {
    for (const fn of queue.splice(0)) fn();
  };
}

async function freshModule() {
  vi.resetModules();
  return import("../../js/linelayer");
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete (HTMLCanvasElement.prototype as { transferControlToOffscreen?: unknown }).transferControlToOffscreen;
  delete (globalThis as { __NBTB_LINES_SRC__?: string }).__NBTB_LINES_SRC__;
  document.body.replaceChildren();
});

function withWorkerSupport() {
  (globalThis as { __NBTB_LINES_SRC__?: string }).__NBTB_LINES_SRC__ = "/* the worker bundle */";
  vi.stubGlobal("Worker", FakeWorker);
  vi.stubGlobal("OffscreenCanvas", class {});
  (HTMLCanvasElement.prototype as unknown as { transferControlToOffscreen: () => object }).transferControlToOffscreen = () => ({ offscreen: true });
  vi.spyOn(URL, "createObjectURL").mockReturnValue("blob:lines");
  vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
}

function underCanvas(): HTMLCanvasElement {
  const wrap = document.createElement("div");
  const under = document.createElement("canvas");
  wrap.append(under);
  document.body.append(wrap);
  return under;
}

/** A chart's line layer on a page that has workers, before its first job. */
async function chartWithWorker() {
  const strokes = stubContext();
  const idle = stubIdle();
  withWorkerSupport();
  const { LineLayer } = await freshModule();
  const under = underCanvas();
  const drawn = vi.fn();
  return { strokes, idle, under, drawn, layer: new LineLayer(under, drawn) };
}

const linesOf = (under: HTMLCanvasElement) => Array.from(under.parentElement!.querySelectorAll<HTMLCanvasElement>(".nbtb-lines"));

describe("LineLayer", () => {
  it("draws on the main thread where there is no OffscreenCanvas, right after uPlot's canvas", async () => {
    const strokes = stubContext();
    const idle = stubIdle();
    const { LineLayer } = await freshModule();
    const under = underCanvas();
    const drawn = vi.fn();
    const layer = new LineLayer(under, drawn);
    expect(under.nextElementSibling).toBe(layer.canvas);
    layer.draw(JOB);
    idle();
    expect(layer.canvas.dataset.where).toBe("main");
    expect(drawn).toHaveBeenCalledTimes(1);
    expect(strokes.n).toBe(1);
    expect([layer.canvas.width, layer.canvas.height]).toEqual([60, 50]);
    expect(layer.canvas.style.pointerEvents).toBe("none");
  });

  it("draws the first picture here, then hands a hidden canvas to the worker and swaps when it shows the latest", async () => {
    const { strokes, idle, under, drawn, layer } = await chartWithWorker();
    layer.draw(JOB);
    expect([strokes.n, drawn.mock.calls.length, layer.canvas.dataset.where]).toEqual([1, 1, "main"]);
    const w = FakeWorker.last!;
    expect(w.sent).toEqual([]); // nothing handed over before the page is idle

    idle();
    const [mine, theirs] = linesOf(under);
    expect(mine).toBe(layer.canvas);
    expect(theirs.dataset.where).toBe("worker");
    expect(theirs.style.visibility).toBe("hidden");
    expect(w.sent[0].msg.type).toBe("canvas");
    expect(w.sent[0].transfer).toEqual([w.sent[0].msg.canvas]);
    const id = w.sent[0].msg.id;
    expect(w.draws()).toEqual([1]); // the picture on the screen, again

    // a redraw while handing over: still drawn here at once, and sent to the worker
    layer.draw({ ...JOB, xMax: 2 });
    expect([strokes.n, drawn.mock.calls.length]).toEqual([2, 2]);
    expect(w.draws()).toEqual([1, 2]);
    w.reply(id, 1); // the worker shows an older picture: keep ours
    expect(linesOf(under)).toEqual([mine, theirs]);
    w.reply(id, 2, 7);
    expect(linesOf(under)).toEqual([theirs]);
    expect(layer.canvas).toBe(theirs);
    expect(theirs.style.visibility).toBe("");
    expect(theirs.dataset.drawnAt).toBe("7.0"); // the worker's time, on the page's clock

    // from now on the worker draws, and the chart hears when its latest job is on the screen
    layer.draw({ ...JOB, xMax: 3 });
    layer.draw({ ...JOB, xMax: 4 });
    expect(strokes.n).toBe(2);
    expect(w.draws()).toEqual([1, 2, 3, 4]);
    w.reply(id, 3);
    expect(drawn).toHaveBeenCalledTimes(2);
    w.reply(id, 4, 9);
    expect(drawn).toHaveBeenCalledTimes(3);
    expect(layer.canvas.dataset.drawn).toBe("4");
  });

  it("once the worker answers during the hand-over, new jobs go to it alone, and the swap reports them", async () => {
    const { strokes, idle, under, drawn, layer } = await chartWithWorker();
    layer.draw(JOB);
    idle();
    const w = FakeWorker.last!;
    const id = w.sent[0].msg.id;
    layer.draw({ ...JOB, xMax: 2 }); // drawn here and sent: the worker has not answered yet
    expect(strokes.n).toBe(2);
    w.reply(id, 1); // an older picture: the worker is alive
    layer.draw({ ...JOB, xMax: 3 }); // now for the worker alone
    expect(strokes.n).toBe(2);
    expect(w.draws()).toEqual([1, 2, 3]);
    expect(drawn).toHaveBeenCalledTimes(2);
    const [mine, theirs] = linesOf(under);
    w.reply(id, 3, 11);
    expect(linesOf(under)).toEqual([theirs]);
    expect(mine.isConnected).toBe(false);
    expect(drawn).toHaveBeenCalledTimes(3); // job 3 is on the screen, by the worker
    expect(theirs.dataset.drawn).toBe("3");
  });

  it("one worker serves every chart, started ahead by warmLines and kept for the next chart", async () => {
    stubContext();
    const idle = stubIdle();
    withWorkerSupport();
    const { LineLayer, warmLines } = await freshModule();
    warmLines();
    const w = FakeWorker.last!;
    const a = new LineLayer(underCanvas(), () => {});
    const b = new LineLayer(underCanvas(), () => {});
    a.draw(JOB);
    b.draw(JOB);
    idle();
    expect(FakeWorker.last).toBe(w);
    expect(w.sent.filter((s) => s.msg.type === "canvas").map((s) => s.msg.id)).toEqual([1, 2]);
    a.destroy();
    b.destroy();
    expect(w.sent.filter((s) => s.msg.type === "drop").map((s) => s.msg.id)).toEqual([1, 2]);
    expect(w.terminated).toBe(false);
  });

  it("a worker that fails gives its charts fresh main-thread canvases, redrawn at once", async () => {
    const strokes = stubContext();
    const idle = stubIdle();
    withWorkerSupport();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { LineLayer } = await freshModule();
    const drawn = vi.fn();
    const under = underCanvas();
    const layer = new LineLayer(under, drawn);
    layer.draw(JOB);
    idle();
    const w = FakeWorker.last!;
    w.reply(w.sent[0].msg.id, 1);
    const handed = layer.canvas;
    expect(handed.dataset.where).toBe("worker");
    w.onerror!({ message: "blocked by CSP" });
    expect(linesOf(under)).toEqual([layer.canvas]);
    expect(handed.isConnected).toBe(false);
    expect(layer.canvas.dataset.where).toBe("main");
    expect(strokes.n).toBe(2); // the last picture, drawn again here
    expect(drawn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0][0]).toContain("blocked by CSP");
    expect(w.terminated).toBe(true);
    // and later charts do not try a worker again
    const next = new LineLayer(underCanvas(), () => {});
    next.draw(JOB);
    idle();
    expect(FakeWorker.last).toBe(w);
    expect(next.canvas.dataset.where).toBe("main");
  });

  it("a worker failing during the hand-over leaves the chart drawn here", async () => {
    stubContext();
    const idle = stubIdle();
    withWorkerSupport();
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { LineLayer } = await freshModule();
    const under = underCanvas();
    const layer = new LineLayer(under, () => {});
    layer.draw(JOB);
    idle();
    const mine = layer.canvas;
    const w = FakeWorker.last!;
    w.reply(w.sent[0].msg.id, 0); // alive: the next job goes to the worker alone
    layer.draw({ ...JOB, xMax: 2 });
    expect(mine.dataset.drawn).toBe("1");
    w.onerror!({ message: "gone" });
    expect(linesOf(under)).toEqual([mine]);
    expect(mine.dataset.drawn).toBe("2"); // the job only the worker had, drawn here
    layer.draw(JOB);
    expect(mine.dataset.drawn).toBe("3");
  });
});
