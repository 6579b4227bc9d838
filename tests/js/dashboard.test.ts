// @vitest-environment happy-dom
/**
 * The widget wired to a fake anywidget model: traits in, requests out, replies drawn.
 * happy-dom has no canvas, so getContext returns a recording stub; uPlot only needs calls
 * to succeed. IntersectionObserver is removed so every card counts as visible.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget, { type Model } from "../../js/dashboard";

type Handler = (...args: unknown[]) => void;

class FakeModel implements Model {
  sent: Record<string, unknown>[] = [];
  saves = 0;
  handlers = new Map<string, Set<Handler>>();
  constructor(public state: Record<string, unknown>) {}
  get(k: string) {
    return this.state[k];
  }
  set(k: string, v: unknown) {
    this.state[k] = v;
    this.emit(`change:${k}`);
  }
  save_changes() {
    this.saves++;
  }
  on(e: string, cb: Handler) {
    if (!this.handlers.has(e)) this.handlers.set(e, new Set());
    this.handlers.get(e)!.add(cb);
  }
  off(e: string, cb?: Handler) {
    if (cb) this.handlers.get(e)?.delete(cb);
    else this.handlers.delete(e);
  }
  send(c: unknown) {
    this.sent.push(c as Record<string, unknown>);
  }
  emit(e: string, ...args: unknown[]) {
    for (const cb of this.handlers.get(e) ?? []) cb(...args);
  }
  listenerCount() {
    return [...this.handlers.values()].reduce((a, s) => a + s.size, 0);
  }
}

const EVIL = '<img src=x onerror="globalThis.pwned=1">';

function f64(values: number[]): DataView {
  // Misaligned on purpose, as widget buffers can be.
  const buf = new ArrayBuffer(values.length * 8 + 3);
  const dv = new DataView(buf, 3, values.length * 8);
  values.forEach((v, i) => dv.setFloat64(i * 8, v, true));
  return dv;
}

function state(): Record<string, unknown> {
  return {
    logdir: `/logs/${EVIL}`,
    runs: ["a", `b${EVIL}`],
    selected_runs: ["a"],
    catalog: {
      scalars: { "loss/train": ["a", `b${EVIL}`], acc: ["a"], only_b: [`b${EVIL}`] },
      histograms: { h: ["a"] },
      images: {},
    },
    run_filter: "",
    tag_filter: "",
    smoothing: 0.6,
    x_axis: "step",
    y_log: false,
    ignore_outliers: true,
    tab: "scalars",
    reload_interval: 5,
    status: "loaded",
  };
}

const requests = (m: FakeModel) => m.sent.filter((s) => s.kind === "scalars_request");

describe("dashboard widget", () => {
  let el: HTMLElement;
  let model: FakeModel;
  let cleanup: () => void;

  beforeEach(() => {
    vi.stubGlobal("IntersectionObserver", undefined);
    const ctx = new Proxy({} as Record<string | symbol, unknown>, {
      get: (t, p) => (p in t ? t[p] : p === "measureText" ? () => ({ width: 10 }) : () => undefined),
      set: (t, p, v) => ((t[p] = v), true),
    });
    HTMLCanvasElement.prototype.getContext = (() => ctx) as never;
    vi.stubGlobal(
      "Path2D",
      class {
        constructor() {
          return new Proxy(this, { get: (t, p) => (p in t ? (t as Record<string | symbol, unknown>)[p] : () => undefined) });
        }
      },
    );
    el = document.createElement("div");
    document.body.append(el);
    model = new FakeModel(state());
    cleanup = widget.render({ model, el });
  });

  afterEach(() => {
    cleanup();
    el.remove();
    vi.unstubAllGlobals();
  });

  it("sets untrusted names as text, never as HTML", () => {
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector('[data-testid="logdir"]')!.textContent).toBe(`/logs/${EVIL}`);
    const rows = [...el.querySelectorAll<HTMLElement>('[data-testid="run-row"]')];
    expect(rows.map((r) => r.dataset.run)).toEqual(["a", `b${EVIL}`]);
    expect(rows.map((r) => r.querySelector("input")!.checked)).toEqual([true, false]);
  });

  it("shows one card per tag with a selected run, grouped by prefix", () => {
    const groups = [...el.querySelectorAll<HTMLElement>('[data-testid="section"]')].map((s) => s.dataset.group);
    expect(groups).toEqual(["acc", "loss"]);
    const cards = [...el.querySelectorAll<HTMLElement>('[data-testid="card"]')].map((c) => c.dataset.tag);
    expect(cards).toEqual(["acc", "loss/train"]);
  });

  it("has tabs only for kinds with data", () => {
    expect(el.querySelector('[data-testid="tab-scalars"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="tab-histograms"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="tab-images"]')).toBeNull();
    (el.querySelector('[data-testid="tab-histograms"]') as HTMLElement).click();
    expect(model.state.tab).toBe("histograms");
    // the Histograms tab: one card per tag x selected run, its data requested (no IntersectionObserver here)
    const card = el.querySelector<HTMLElement>('[data-testid="hist-card"]')!;
    expect([card.dataset.tag, card.dataset.run]).toEqual(["h", "a"]);
    expect(model.sent.filter((s) => s.kind === "histograms_request").map((s) => [s.tag, s.runs])).toEqual([["h", ["a"]]]);
    expect(el.querySelector('[data-testid="tab-distributions"]')).not.toBeNull(); // fed by catalog.histograms
  });

  it("requests each visible card's data for the selected runs", () => {
    const reqs = requests(model);
    expect(reqs.map((r) => r.tag).sort()).toEqual(["acc", "loss/train"]);
    for (const r of reqs) {
      expect(r.runs).toEqual(["a"]);
      expect(r.smoothing).toBe(0.6);
      expect(r.x_min).toBeNull();
      expect(r.x_max).toBeNull();
    }
  });

  it("writes selected_runs when a checkbox is toggled and refetches", () => {
    const row = [...el.querySelectorAll<HTMLElement>('[data-testid="run-row"]')].find((r) => r.dataset.run === `b${EVIL}`)!;
    const box = row.querySelector("input")!;
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    expect(model.state.selected_runs).toEqual(["a", `b${EVIL}`]);
    const last = requests(model).filter((r) => r.tag === "loss/train").at(-1)!;
    expect(last.runs).toEqual(["a", `b${EVIL}`]);
    // The tag only b has now gets a card too.
    expect(el.querySelector('[data-testid="card"][data-tag="only_b"]')).not.toBeNull();
  });

  it("none/all buttons apply to the runs that pass the filter", () => {
    model.set("run_filter", "^a$");
    (el.querySelector('[data-testid="runs-none"]') as HTMLElement).click();
    expect(model.state.selected_runs).toEqual([]);
    model.set("run_filter", "");
    (el.querySelector('[data-testid="runs-all"]') as HTMLElement).click();
    expect(model.state.selected_runs).toEqual(["a", `b${EVIL}`]);
  });

  it("binds the smoothing slider to the trait", () => {
    const slider = el.querySelector<HTMLInputElement>('[data-testid="smoothing"]')!;
    expect(parseFloat(slider.value)).toBe(0.6);
    slider.value = "0.9";
    slider.dispatchEvent(new Event("input"));
    expect(model.state.smoothing).toBe(0.9);
    model.set("smoothing", 0.25);
    expect(parseFloat(slider.value)).toBe(0.25);
  });

  it("draws a reply, then hovering shows the exact values", async () => {
    const req = requests(model).find((r) => r.tag === "loss/train")!;
    const values = [0.1 + 0.2, NaN, 1 / 3];
    model.emit(
      "msg:custom",
      { kind: "scalars_reply", request_id: req.request_id, tag: "loss/train", series: [{ run: "a", n: 3, total: 3, reduced: false }], part: 0, parts: 1 },
      [f64([0, 1, 2]), f64([10, 11, 12]), f64(values)],
    );
    const card = el.querySelector('[data-testid="card"][data-tag="loss/train"]')!;
    expect(card.querySelector(".u-over")).not.toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(el.querySelector<HTMLElement>(".nbtb")!.dataset.ready).toBe("1");
    expect(["light", "dark"]).toContain(el.querySelector<HTMLElement>(".nbtb")!.dataset.theme);

    // Hover near the right end: the nearest point is step 2.
    const over = card.querySelector(".u-over")!;
    over.dispatchEvent(new MouseEvent("mouseenter", { clientX: 299, clientY: 50, bubbles: true }));
    over.dispatchEvent(new MouseEvent("mousemove", { clientX: 299, clientY: 50, bubbles: true }));
    await new Promise((r) => setTimeout(r, 50));
    const rows = [...el.querySelectorAll<HTMLElement>('[data-testid="tooltip"] tr[data-run]')];
    expect(rows.length).toBe(1);
    expect(rows[0].dataset.run).toBe("a");
    expect(rows[0].dataset.step).toBe("2");
    expect(rows[0].dataset.raw).toBe(String(1 / 3));
    // smoothing 0.6 skipping the NaN: last = 0.6*0.12 + 0.4/3, / (1 - 0.36)
    expect(Number(rows[0].dataset.smoothed)).toBeCloseTo((0.6 * 0.4 * (0.1 + 0.2) + 0.4 / 3) / 0.64, 14);
  });

  it("draws a run of NaNs only and a run with no points (markers, no line, no error)", async () => {
    const req = requests(model).find((r) => r.tag === "loss/train")!;
    model.emit(
      "msg:custom",
      {
        kind: "scalars_reply", request_id: req.request_id, tag: "loss/train", part: 0, parts: 1,
        series: [{ run: "a", n: 3, total: 3, reduced: false }, { run: "b", n: 0, total: 0, reduced: false }],
      },
      [f64([0, 1, 2]), f64([10, 11, 12]), f64([NaN, NaN, NaN]), f64([]), f64([]), f64([])],
    );
    await new Promise((r) => setTimeout(r, 50));
    const lines = el.querySelector<HTMLElement>('[data-testid="card"][data-tag="loss/train"] [data-testid="chart-lines"]')!;
    expect(lines.dataset.drawn).toBe("1");
    expect(lines.dataset.where).toBe("main"); // happy-dom has no OffscreenCanvas
  });

  it("removes its listeners on cleanup", () => {
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    cleanup = () => {};
  });
});

describe("chart run preparation", () => {
  it("orders points by x, carrying every array along", async () => {
    const { prepare } = await import("../../js/chart");
    const f = (a: number[]) => Float64Array.from(a);
    const r = prepare(
      {
        run: "a",
        color: "#000000",
        t0: 0,
        smoothed: f([10, 30, 20]),
        series: { run: "a", step: f([1, 3, 2]), wall: f([5, 7, 6]), value: f([0.1, 0.3, 0.2]), smoothed: null, total: 3, reduced: false },
      },
      f([1, 3, 2]),
    );
    expect(Array.from(r.x)).toEqual([1, 2, 3]);
    expect(Array.from(r.series.step)).toEqual([1, 2, 3]);
    expect(Array.from(r.series.wall)).toEqual([5, 6, 7]);
    expect(Array.from(r.series.value)).toEqual([0.1, 0.2, 0.3]);
    expect(Array.from(r.smoothed)).toEqual([10, 20, 30]);
  });
});
