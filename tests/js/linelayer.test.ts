// @vitest-environment happy-dom
/**
 * Where a chart's lines are drawn (js/linelayer.ts): handed to the lines worker when the page
 * has Worker and OffscreenCanvas, drawn on the main thread when it does not, and moved back
 * to the main thread when the worker fails after it took the canvases.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LineJob } from "../../js/lines";

const JOB: LineJob = {
  x: Float64Array.from([0, 1]),
  ys: [Float64Array.from([0, 1])],
  styles: [{ color: "#ff0000", width: 1 }],
  markers: [],
  xMin: 0,
  xMax: 1,
  yMin: 0,
  yMax: 1,
  yLog: false,
  box: { left: 0, top: 0, width: 50, height: 40 },
  canvas: { width: 60, height: 50 },
  pxRatio: 1,
};

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

describe("LineLayer", () => {
  it("draws on the main thread where there is no OffscreenCanvas, right after uPlot's canvas", async () => {
    const strokes = stubContext();
    const { LineLayer } = await freshModule();
    const under = underCanvas();
    const drawn = vi.fn();
    const layer = new LineLayer(under, drawn);
    expect(under.nextElementSibling).toBe(layer.canvas);
    expect(layer.canvas.dataset.where).toBe("main");
    layer.draw(JOB);
    expect(drawn).toHaveBeenCalledTimes(1);
    expect(strokes.n).toBe(1);
    expect([layer.canvas.width, layer.canvas.height]).toEqual([60, 50]);
    expect(layer.canvas.style.pointerEvents).toBe("none");
  });

  it("hands the canvas to the worker, and reports a job drawn only when it is the latest", async () => {
    stubContext();
    withWorkerSupport();
    const { LineLayer } = await freshModule();
    const drawn = vi.fn();
    const layer = new LineLayer(underCanvas(), drawn);
    const w = FakeWorker.last!;
    expect(layer.canvas.dataset.where).toBe("worker");
    expect(w.sent[0].msg.type).toBe("canvas");
    expect(w.sent[0].transfer).toEqual([w.sent[0].msg.canvas]);
    const id = w.sent[0].msg.id;
    layer.draw(JOB);
    layer.draw({ ...JOB, xMax: 2 });
    expect(w.sent.slice(1).map((s) => [s.msg.type, s.msg.seq])).toEqual([["draw", 1], ["draw", 2]]);
    expect(drawn).not.toHaveBeenCalled();
    w.onmessage!({ data: { type: "drawn", id, seq: 1 } }); // an older picture: not the one asked for last
    expect(drawn).not.toHaveBeenCalled();
    w.onmessage!({ data: { type: "drawn", id, seq: 2 } });
    expect(drawn).toHaveBeenCalledTimes(1);
    expect(layer.canvas.dataset.drawn).toBe("2");
  });

  it("one worker serves every chart, and ends with the last of them", async () => {
    stubContext();
    withWorkerSupport();
    const { LineLayer } = await freshModule();
    const a = new LineLayer(underCanvas(), () => {});
    const w = FakeWorker.last!;
    const b = new LineLayer(underCanvas(), () => {});
    expect(FakeWorker.last).toBe(w);
    a.destroy();
    expect(w.terminated).toBe(false);
    b.destroy();
    expect(w.terminated).toBe(true);
    expect(w.sent.filter((s) => s.msg.type === "drop")).toHaveLength(2);
  });

  it("a worker that fails gives its charts fresh main-thread canvases, redrawn at once", async () => {
    const strokes = stubContext();
    withWorkerSupport();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { LineLayer } = await freshModule();
    const drawn = vi.fn();
    const layer = new LineLayer(underCanvas(), drawn);
    const handed = layer.canvas;
    layer.draw(JOB);
    FakeWorker.last!.onerror!({ message: "blocked by CSP" });
    expect(layer.canvas).not.toBe(handed);
    expect(handed.isConnected).toBe(false);
    expect(layer.canvas.isConnected).toBe(true);
    expect(layer.canvas.dataset.where).toBe("main");
    expect(strokes.n).toBe(1);
    expect(drawn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain("blocked by CSP");
    // and later charts do not try the worker again
    const before = FakeWorker.last;
    const next = new LineLayer(underCanvas(), () => {});
    expect(FakeWorker.last).toBe(before);
    expect(next.canvas.dataset.where).toBe("main");
    warn.mockRestore();
  });
});
