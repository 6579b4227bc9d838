import { describe, expect, it } from "vitest";
import { buildRows, eventAt, lowerBound, visibleBlocks } from "../../js/profile/lod";
import { tickStep } from "../../js/profile/timeline";
import { denseTrace, makeProfile } from "./profile_fixture";

type B = [number, number, number, number];
const blocksOf = (d: ReturnType<typeof makeProfile>, row: ReturnType<typeof buildRows>[0], t0: number, t1: number, px: number) => {
  const out: B[] = [];
  const visited = visibleBlocks(d, row, t0, t1, px, (x0, x1, rep, count) => out.push([x0, x1, rep, count]));
  return { out, visited };
};

describe("rows", () => {
  it("one row per lane and depth, each sorted by start", () => {
    const d = makeProfile([
      { lane: 0, depth: 0, start: 0, dur: 10, name: "a" },
      { lane: 0, depth: 1, start: 1, dur: 2, name: "b" },
      { lane: 0, depth: 1, start: 5, dur: 2, name: "c" },
      { lane: 1, depth: 0, start: 3, dur: 1, name: "d" },
    ]);
    const rows = buildRows(d);
    expect(rows.map((r) => [r.lane, r.depth, r.hi - r.lo])).toEqual([[0, 0, 1], [0, 1, 2], [1, 0, 1]]);
  });

  it("coarser levels at least halve the blocks and never lose an event", () => {
    const d = makeProfile(denseTrace(20000, 1));
    const [row] = buildRows(d);
    let prev = row.hi - row.lo;
    expect(row.levels.length).toBeGreaterThanOrEqual(3);
    for (const l of row.levels) {
      expect(l.start.length * 2).toBeLessThanOrEqual(prev);
      expect(l.count.reduce((s, c) => s + c, 0)).toBe(row.hi - row.lo);
      for (let i = 1; i < l.start.length; i++) expect(l.start[i] - l.end[i - 1]).toBeGreaterThanOrEqual(l.gap);
      prev = l.start.length;
    }
  });
});

describe("visibleBlocks", () => {
  it("draws each event as itself when every event is wider than a pixel", () => {
    const d = makeProfile([0, 10, 20, 30].map((s, i) => ({ lane: 0, depth: 0, start: s, dur: 5, name: `e${i}` })));
    const [row] = buildRows(d);
    const { out } = blocksOf(d, row, 0, 40, 10); // 10 px per µs
    expect(out).toEqual([[0, 50, 0, 1], [100, 150, 1, 1], [200, 250, 2, 1], [300, 350, 3, 1]]);
  });

  it("merges events narrower than a pixel, counting them, in the colour of the longest", () => {
    const d = makeProfile([
      { lane: 0, depth: 0, start: 0, dur: 0.1, name: "short" },
      { lane: 0, depth: 0, start: 0.2, dur: 0.3, name: "long" },
      { lane: 0, depth: 0, start: 0.6, dur: 0.1, name: "short" },
      { lane: 0, depth: 0, start: 50, dur: 10, name: "far" },
    ]);
    const [row] = buildRows(d);
    const { out } = blocksOf(d, row, 0, 100, 1);
    expect(out.length).toBe(2);
    expect(out[0][3]).toBe(3);
    expect(d.names[d.name[out[0][2]]]).toBe("long");
    expect(out[1]).toEqual([50, 60, 3, 1]);
  });

  it("skips what is outside the window", () => {
    const d = makeProfile([0, 10, 20, 30].map((s) => ({ lane: 0, depth: 0, start: s, dur: 5, name: "e" })));
    const [row] = buildRows(d);
    const { out } = blocksOf(d, row, 12, 24, 1);
    expect(out.map((b) => b[2])).toEqual([1, 2]);
  });

  // Every pixel an event covers is covered by a block, and blocks stray at most a pixel or two
  // from some event: the picture is the trace's, only coarser.
  it.each([1, 0.05, 0.002, 1e-4])("keeps the trace's pixels at %f px/µs", (px) => {
    const d = makeProfile(denseTrace(30000, 1, 7));
    const [row] = buildRows(d);
    const t0 = 100;
    const t1 = t0 + 1200 / px;
    const W = 1200;
    // pixel x shows [x, x + 1): a span covers the pixels it intersects (at least the one it starts in)
    const cover = (img: Uint8Array, a: number, b: number) => {
      for (let x = Math.max(0, Math.floor(a)); x < Math.min(W, Math.max(Math.ceil(b), Math.floor(a) + 1)); x++) img[x] = 1;
    };
    const ev = new Uint8Array(W + 4);
    for (let i = 0; i < d.n; i++) cover(ev, (d.start[i] - t0) * px, (d.start[i] + d.dur[i] - t0) * px);
    const bl = new Uint8Array(W + 4);
    const { out } = blocksOf(d, row, t0, t1, px);
    for (const [a, b] of out) cover(bl, a, b);
    for (let x = 0; x < W; x++) if (ev[x]) expect(bl[x], `pixel ${x}`).toBe(1);
    for (let x = 0; x < W; x++) {
      if (bl[x]) expect(ev[x] || ev[x - 1] || ev[x + 1] || ev[x - 2] || ev[x + 2], `pixel ${x}`).toBeTruthy();
    }
  });

  // The scale requirement: zoomed out over a million events, a frame visits blocks in
  // proportion to the pixels, not the events (bench/profile_view.py times it in Chromium).
  it("a zoomed-out frame over 1,000,000 events visits a few blocks per pixel", () => {
    const d = makeProfile(denseTrace(1_000_000, 8, 3));
    const rows = buildRows(d);
    const W = 1200;
    let visited = 0;
    let drawn = 0;
    for (const row of rows) visited += visibleBlocks(d, row, 0, d.span, W / d.span, () => drawn++);
    expect(visited).toBeLessThan(rows.length * W * 4);
    expect(drawn).toBeLessThanOrEqual(rows.length * W);
    // and zoomed to 1/100 of the trace, still bounded by pixels
    visited = 0;
    for (const row of rows) visited += visibleBlocks(d, row, d.span / 2, d.span / 2 + d.span / 100, (W * 100) / d.span, () => {});
    expect(visited).toBeLessThan(rows.length * W * 4);
  });
});

describe("eventAt", () => {
  it("finds the event under the pointer, or the nearest within tolerance", () => {
    const d = makeProfile([
      { lane: 0, depth: 0, start: 0, dur: 100, name: "outer" },
      { lane: 0, depth: 1, start: 10, dur: 5, name: "x" },
      { lane: 0, depth: 1, start: 40, dur: 5, name: "y" },
    ]);
    const rows = buildRows(d);
    const name = (i: number) => (i < 0 ? null : d.names[d.name[i]]);
    expect(name(eventAt(d, rows[0], 50, 0))).toBe("outer");
    expect(name(eventAt(d, rows[1], 42, 0))).toBe("y");
    expect(name(eventAt(d, rows[1], 46, 2))).toBe("y");
    expect(name(eventAt(d, rows[1], 30, 2))).toBe(null);
  });
});

describe("helpers", () => {
  it("lowerBound", () => {
    const a = Float64Array.from([1, 2, 2, 5]);
    expect([0, 1, 2, 3, 6].map((x) => lowerBound(a, x))).toEqual([0, 0, 1, 3, 4]);
  });
  it("tickStep gives 1, 2, 5 times a power of ten", () => {
    expect(tickStep(1000, 10)).toBe(100);
    expect(tickStep(1000, 4)).toBe(200);
    expect(tickStep(0.03, 10)).toBeCloseTo(0.005);
  });
});
