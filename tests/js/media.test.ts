// @vitest-environment happy-dom
/**
 * Images, Text, Audio, HParams and PR curves tabs: markdown sanitizing, the step slider's
 * math, the media protocol, hparams sorting/filtering, and the tabs wired to a fake model.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget, { type Model } from "../../js/dashboard";
import { compareValues, filterRows, pcLayout, sortRows } from "../../js/hparams";
import { imageFilter } from "../../js/images";
import { cleanTree, setMarkdown } from "../../js/markdown";
import { decodeText, MediaRequests, type MediaReply, toBytes } from "../../js/media";
import { decodePr, prPoints } from "../../js/prcurves";
import { formatTime, keyStep, nearestIndex } from "../../js/slider";

type Handler = (...args: unknown[]) => void;

class FakeModel implements Model {
  sent: Record<string, unknown>[] = [];
  handlers = new Map<string, Set<Handler>>();
  constructor(public state: Record<string, unknown>) {}
  get(k: string) {
    return this.state[k];
  }
  set(k: string, v: unknown) {
    this.state[k] = v;
    this.emit(`change:${k}`);
  }
  save_changes() {}
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
    for (const cb of [...(this.handlers.get(e) ?? [])]) cb(...args);
  }
}

const EVIL = '<img src=x onerror="globalThis.pwned=1">';

describe("markdown", () => {
  it("renders tables, code fences and emphasis", () => {
    const div = document.createElement("div");
    setMarkdown(div, "**bold** _it_\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode <b>\n```\n");
    expect(div.querySelector("strong")?.textContent).toBe("bold");
    expect(div.querySelector("em")?.textContent).toBe("it");
    expect(div.querySelectorAll("td").length).toBe(2);
    expect(div.querySelector("pre code")?.textContent).toContain("code <b>");
  });

  it("drops scripts, event handlers and javascript: links", () => {
    const div = document.createElement("div");
    setMarkdown(div, 
      `${EVIL}\n\n<script>globalThis.pwned=1</script>\n\n[x](javascript:globalThis.pwned=1) [y](https://example.org) ` +
        `<a href="JaVaScRiPt:alert(1)">z</a> <svg onload="x()"></svg> <iframe srcdoc="x"></iframe> <div style="x" onclick="y">w</div>`,
    );
    expect(div.innerHTML).not.toMatch(/<script|onerror|onload|onclick|javascript:|<img|<svg|<iframe|style=/i);
    const hrefs = [...div.querySelectorAll("a")].map((a) => a.getAttribute("href"));
    expect(hrefs).toContain("https://example.org");
    expect(hrefs.filter((h) => h && !h.startsWith("https://"))).toEqual([]);
    expect(div.querySelector('a[href="https://example.org"]')?.getAttribute("rel")).toContain("noopener");
  });

  it("the allowlist pass alone removes what a broken sanitizer would let through", () => {
    const tpl = document.createElement("template");
    tpl.innerHTML = `<p onclick="x">a<script>bad()</script><img src=x onerror="y"><b style="c">b</b><a href=" javascript:x">l</a><custom>t</custom></p><!-- c -->`;
    cleanTree(tpl.content);
    const div = document.createElement("div");
    div.append(tpl.content);
    expect(div.innerHTML).toBe("<p>a<b>b</b><a>l</a>t</p>");
  });
});

describe("step slider math", () => {
  it("finds the nearest step", () => {
    expect(nearestIndex([], 3)).toBe(-1);
    expect(nearestIndex([0, 10, 20], 14)).toBe(1);
    expect(nearestIndex([0, 10, 20], 16)).toBe(2);
    expect(nearestIndex([0, 10, 20], -5)).toBe(0);
    expect(nearestIndex([0, 10, 20], 99)).toBe(2);
  });
  it("moves with the arrow keys and stops at the ends", () => {
    expect(keyStep(0, 3, "ArrowLeft")).toBe(0);
    expect(keyStep(0, 3, "ArrowRight")).toBe(1);
    expect(keyStep(2, 3, "ArrowUp")).toBe(2);
    expect(keyStep(2, 3, "Home")).toBe(0);
    expect(keyStep(0, 3, "End")).toBe(2);
    expect(keyStep(1, 3, "a")).toBe(1);
  });
  it("formats wall times", () => {
    expect(formatTime(NaN)).toBe("");
    expect(formatTime(0)).toMatch(/^19(69|70)-/);
  });
});

describe("media protocol", () => {
  it("routes replies by id and ignores stale ones", () => {
    const sent: Record<string, unknown>[] = [];
    const r = new MediaRequests((m) => sent.push(m), 0.5);
    const got: MediaReply[] = [];
    const id = r.media("images", "t", "a", null, (reply) => got.push(reply));
    expect(sent[0]).toMatchObject({ kind: "media_request", plugin: "images", tag: "t", run: "a", step: null, request_id: id });
    expect(r.handle({ kind: "scalars_reply", request_id: id }, [])).toBe(false);
    expect(r.handle({ kind: "media_reply", request_id: id + 1 }, [])).toBe(true);
    expect(got).toHaveLength(0);
    r.handle({ kind: "media_reply", request_id: id, items: [] } as never, []);
    expect(got).toHaveLength(1);
    expect(r.size).toBe(0);
  });
  it("joins a reply sent in parts, in part order, whatever the arrival order", () => {
    const r = new MediaRequests(() => {}, 0.25);
    const got: [MediaReply, unknown[]][] = [];
    const id = r.media("images", "t", "a", 3, (reply, bufs) => got.push([reply, bufs]));
    const part = (k: number, index: number) =>
      ({ kind: "media_reply", request_id: id, plugin: "images", tag: "t", run: "a", steps: [3], wall_times: [1], step: 3,
         items: [{ index }], part: k, parts: 3 }) as never;
    r.handle(part(1, 1), ["b1"] as never);
    r.handle(part(0, 0), ["b0"] as never);
    expect(got).toHaveLength(0);
    expect(r.size).toBe(1);
    r.handle(part(2, 2), ["b2"] as never);
    expect(got).toHaveLength(1);
    expect(got[0][0].items.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(got[0][1]).toEqual(["b0", "b1", "b2"]);
    expect(got[0][0].parts).toBeUndefined();
    expect(r.size).toBe(0);
  });
  it("copies bytes out of misaligned views", () => {
    const buf = new Uint8Array([0, 104, 105, 0]).buffer;
    expect(decodeText(new DataView(buf, 1, 2))).toBe("hi");
    expect([...toBytes(new DataView(buf, 1, 2))]).toEqual([104, 105]);
  });
  it("decodes PR curves and maps them into the plot box", () => {
    const f = (xs: number[]) => new Float64Array(xs);
    const reply = { items: [{ index: 0, n: 2 }] } as unknown as MediaReply;
    const [c] = decodePr(reply, [f([3, 1]), f([1, 0]), f([0, 1]), f([0, 2]), f([0.75, 1]), f([1, 1 / 3])]);
    expect([...c.precision]).toEqual([0.75, 1]);
    const pts = prPoints(c, 100, 100, 0);
    expect(pts[0]).toEqual([100, 25]);
    expect(pts[1][0]).toBeCloseTo(100 / 3, 9);
    expect(pts[1][1]).toBe(0);
    expect(() => decodePr(reply, [f([1])])).toThrow();
  });
  it("brightness/contrast filter", () => {
    expect(imageFilter(1, 1)).toBe("none");
    expect(imageFilter(1.5, 0.5)).toBe("brightness(1.5) contrast(0.5)");
    expect(imageFilter(NaN, -1)).toBe("brightness(1) contrast(0)");
  });
});

describe("hparams table math", () => {
  const rows = [
    { run: "b", values: [0.1, "adam", 0.5] },
    { run: "a", values: [0.01, "sgd", null] },
    { run: "c", values: [1, "adam", 0.9] },
  ];
  it("sorts numbers numerically with missing values last in both directions", () => {
    expect(sortRows(rows, 0, 1).map((r) => r.run)).toEqual(["a", "b", "c"]);
    expect(sortRows(rows, 2, 1).map((r) => r.run)).toEqual(["b", "c", "a"]);
    expect(sortRows(rows, 2, -1).map((r) => r.run)).toEqual(["c", "b", "a"]);
    expect(sortRows(rows, -1, -1).map((r) => r.run)).toEqual(["c", "b", "a"]);
    expect(compareValues("x2", "x10")).toBeLessThan(0);
  });
  it("lays out parallel coordinates: numbers min..max, categories spaced, missing values break lines", () => {
    const { axes, lines } = pcLayout([{ name: "lr" }, { name: "opt" }, { name: "acc" }], rows, 300, 100, 0);
    expect(axes.map((a) => [a.x, a.numeric])).toEqual([[0, true], [150, false], [300, true]]);
    expect(axes[1].categories).toEqual(["adam", "sgd"]);
    expect(axes[0].min).toBe(0.01);
    const c = lines.find((l) => l.run === "c")!;
    expect(c.points).toEqual([[0, 0], [150, 100], [300, 0]]);
    const a = lines.find((l) => l.run === "a")!;
    expect(a.points[0]).toEqual([0, 100]);
    expect(a.points[1]).toEqual([150, 0]);
    expect(a.points[2]).toBeNull();
  });

  it("filters on run and values", () => {
    expect(filterRows(rows, "sgd").map((r) => r.run)).toEqual(["a"]);
    expect(filterRows(rows, "").length).toBe(3);
  });
});

describe("media tabs in the dashboard", () => {
  let el: HTMLElement;
  let model: FakeModel;
  let cleanup: () => void;
  const created: string[] = [];

  beforeEach(() => {
    vi.stubGlobal("IntersectionObserver", undefined);
    HTMLCanvasElement.prototype.getContext = (() => null) as never;
    let n = 0;
    URL.createObjectURL = (() => {
      const u = `blob:test/${n++}`;
      created.push(u);
      return u;
    }) as never;
    URL.revokeObjectURL = (() => {}) as never;
    el = document.createElement("div");
    document.body.append(el);
    model = new FakeModel({
      logdir: "/logs",
      runs: ["a", `b${EVIL}`],
      selected_runs: ["a", `b${EVIL}`],
      catalog: {
        scalars: {},
        images: { [`img${EVIL}`]: ["a", `b${EVIL}`] },
        text: { notes: ["a"] },
        audio: { snd: ["a"] },
        hparams: { "_hparams_/experiment": [`b${EVIL}`] },
      },
      run_filter: "",
      tag_filter: "",
      smoothing: 0.6,
      x_axis: "step",
      y_log: false,
      ignore_outliers: true,
      tab: "images",
      reload_interval: 0,
      status: "",
    });
    cleanup = widget.render({ model, el });
  });

  afterEach(() => {
    cleanup();
    el.remove();
    vi.unstubAllGlobals();
    delete (globalThis as Record<string, unknown>).pwned;
  });

  const media = () => model.sent.filter((s) => s.kind === "media_request");
  const reply = (req: Record<string, unknown>, items: Record<string, unknown>[], buffers: DataView[], steps = [0, 5]) =>
    model.emit(
      "msg:custom",
      { kind: "media_reply", request_id: req.request_id, plugin: req.plugin, tag: req.tag, run: req.run, steps, wall_times: steps.map((s) => 1e9 + s), step: req.step ?? steps.at(-1), items },
      buffers,
    );

  it("shows an image card per tag × run, lazily asks for the newest step and draws every image", () => {
    const cards = el.querySelectorAll('[data-testid="image-card"]');
    expect(cards.length).toBe(2);
    expect([...cards].map((c) => c.getAttribute("data-run"))).toEqual(["a", `b${EVIL}`]);
    expect(el.querySelector("img[src='x']")).toBeNull();
    const reqs = media();
    expect(reqs.map((r) => r.run)).toEqual(["a", `b${EVIL}`]);
    const bytes = new DataView(new Uint8Array([137, 80, 78, 71]).buffer);
    reply(reqs[0], [{ index: 0, width: 4, height: 3, mime: "image/png" }, { index: 1, width: 4, height: 3, mime: "image/png" }], [bytes, bytes]);
    const imgs = cards[0].querySelectorAll("img");
    expect(imgs.length).toBe(2);
    expect(imgs[0].getAttribute("src")).toMatch(/^blob:/);
    expect(cards[0].querySelector('[data-testid="step-label"]')?.textContent).toBe("step 5");
    // The slider asks for the chosen step; arrow keys too.
    const slider = cards[0].querySelector('[data-testid="step-slider"]') as HTMLInputElement;
    slider.value = "0";
    slider.dispatchEvent(new Event("input"));
    expect(media().at(-1)).toMatchObject({ run: "a", step: 0 });
    reply(media().at(-1)!, [], [], [0, 5]);
    (cards[0] as HTMLElement).dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(media().at(-1)).toMatchObject({ run: "a", step: 5 });
    // Section titles and run names are text.
    expect(el.querySelector(".nbtb-section-name")?.textContent).toBe(`img${EVIL}`);
    expect(el.querySelector("[onerror]")).toBeNull();
    // Enlarge and actual size.
    imgs[0].dispatchEvent(new MouseEvent("click"));
    expect((el.querySelector('[data-testid="lightbox"]') as HTMLElement).hidden).toBe(false);
    (cards[0].querySelector('[data-testid="actual-size"]') as HTMLElement).click();
    expect(cards[0].classList.contains("nbtb-actual-size")).toBe(true);
  });

  it("after a reload, visible cards ask with the steps they have and keep their images when unchanged", () => {
    const bytes = new DataView(new Uint8Array([137, 80, 78, 71]).buffer);
    for (const r of media()) reply(r, [{ index: 0, width: 4, height: 3, mime: "image/png" }], [bytes]);
    model.state.reload_interval = 5;
    const n = media().length;
    model.set("status", "reloaded 12:00:00");
    const again = media().slice(n);
    expect(again.map((r) => [r.run, r.known_last, r.known_count])).toEqual([["a", 5, 2], [`b${EVIL}`, 5, 2]]);
    model.emit("msg:custom", { kind: "media_reply", request_id: again[0].request_id, unchanged: true, steps: [0, 5], step: 5, items: [] }, []);
    expect(el.querySelectorAll('[data-testid="image-card"]')[0].querySelectorAll("img").length).toBe(1);
  });

  it("renders text as sanitized markdown", () => {
    model.set("tab", "text");
    const req = media().find((r) => r.plugin === "text")!;
    const md = `**Title**\n\n${EVIL}<script>globalThis.pwned=1</script>[x](javascript:globalThis.pwned=1)`;
    reply(req, [{ index: 0 }], [new DataView(new TextEncoder().encode(md).buffer)]);
    const card = el.querySelector('[data-testid="text-card"]')!;
    expect(card.querySelector("strong")?.textContent).toBe("Title");
    expect(card.querySelector("script, img, [onerror]")).toBeNull();
    expect(card.querySelector("a")?.getAttribute("href")).toBeNull();
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it("plays audio", () => {
    model.set("tab", "audio");
    const req = media().find((r) => r.plugin === "audio")!;
    reply(req, [{ index: 0, sample_rate: 8000, mime: "audio/wav" }], [new DataView(new ArrayBuffer(4))]);
    const audio = el.querySelector('[data-testid="audio-card"] audio') as HTMLAudioElement;
    expect(audio.getAttribute("src")).toMatch(/^blob:/);
    expect(audio.controls).toBe(true);
  });

  it("hparams table: cells, sorting and selection", () => {
    model.set("tab", "hparams");
    const req = model.sent.find((s) => s.kind === "hparams_request")!;
    model.emit("msg:custom", {
      kind: "hparams_reply",
      request_id: req.request_id,
      columns: [{ name: "lr", type: "hparam" }, { name: "acc", type: "metric" }],
      rows: [
        { run: "a", values: [0.1, 0.5] },
        { run: `b${EVIL}`, values: [0.01, 0.9] },
      ],
    }, []);
    const table = el.querySelector('[data-testid="hparams-table"]')!;
    const rows = () => [...table.querySelectorAll("tbody tr")].map((r) => r.getAttribute("data-run"));
    expect(rows()).toEqual(["a", `b${EVIL}`]);
    expect(table.querySelector('tbody tr td[data-column="lr"]')?.textContent).toBe("0.1");
    (table.querySelector('th[data-column="lr"]') as HTMLElement).click();
    expect(rows()).toEqual([`b${EVIL}`, "a"]);
    const box = table.querySelector('tr[data-run="a"] input') as HTMLInputElement;
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    expect(model.state.selected_runs).toEqual([`b${EVIL}`]);
    expect(table.querySelector("img")).toBeNull();
  });
});
