import { describe, expect, it } from "vitest";
import { decodeHistograms, HistRequests, type HistogramsRequest, sampleIndices } from "../../js/histdata";
import { bandAlpha, mix, niceTicks, ridgeLayout, stepColor } from "../../js/ridges";

const f64 = (a: number[]) => new Float64Array(a).buffer;

/** A reply for one run: two steps with 1 and 2 buckets. */
function buffers() {
  return [f64([1, 5]), f64([10, 20]), f64([0, 1, 3]), f64([0, 0, 1]), f64([1, 1, 2]), f64([4, 2, 3])];
}

describe("histograms_reply decoding", () => {
  it("splits flat buffers into per-step buckets", () => {
    const [r] = decodeHistograms([{ run: "a", n: 2, buckets: 3 }], buffers());
    expect(Array.from(r.step)).toEqual([1, 5]);
    expect(Array.from(r.wall)).toEqual([10, 20]);
    expect(r.hists).toHaveLength(2);
    expect(Array.from(r.hists[0].count)).toEqual([4]);
    expect(Array.from(r.hists[1].left)).toEqual([0, 1]);
    expect(Array.from(r.hists[1].right)).toEqual([1, 2]);
  });

  it("refuses buffers that do not add up", () => {
    expect(() => decodeHistograms([{ run: "a", n: 2, buckets: 4 }], buffers())).toThrow();
    expect(() => decodeHistograms([{ run: "a", n: 2, buckets: 3 }], buffers().slice(1))).toThrow();
  });

  it("merges the parts of a reply by run and ignores unknown ids", () => {
    const sent: HistogramsRequest[] = [];
    const req = new HistRequests((m) => sent.push(m), 0);
    const calls: [number, boolean][] = [];
    const id = req.request("w", ["a"], (runs, complete) => calls.push([runs[0].step.length, complete]));
    expect(sent[0]).toEqual({ kind: "histograms_request", request_id: id, tag: "w", runs: ["a"] });
    const part = { kind: "histograms_reply", request_id: id, tag: "w", series: [{ run: "a", n: 2, buckets: 3 }], parts: 2 };
    expect(req.handle({ ...part, request_id: id + 99 }, buffers())).toBe(false);
    expect(req.handle({ ...part, part: 0 }, buffers())).toBe(true);
    expect(req.handle({ ...part, part: 1 }, buffers())).toBe(true);
    expect(calls).toEqual([
      [2, false],
      [4, true],
    ]);
    expect(req.size).toBe(0);
  });

  it("a refresh tells what the card has, and an unchanged reply keeps it", () => {
    const sent: HistogramsRequest[] = [];
    const req = new HistRequests((m) => sent.push(m), 0);
    const calls: [number, boolean, boolean][] = [];
    const id = req.request("w", ["a"], (runs, complete, unchanged) => calls.push([runs.length, complete, unchanged]), {
      count: 2,
      last: 5,
    });
    expect(sent[0]).toEqual({ kind: "histograms_request", request_id: id, tag: "w", runs: ["a"], known_count: 2, known_last: 5 });
    expect(req.handle({ kind: "histograms_reply", request_id: id, tag: "w", series: [], part: 0, parts: 1, unchanged: true }, [])).toBe(true);
    expect(calls).toEqual([[0, true, true]]);
    expect(req.size).toBe(0);
  });

  it("samples at most max indices keeping both ends", () => {
    expect(sampleIndices(3, 500)).toEqual([0, 1, 2]);
    const s = sampleIndices(1000, 500);
    expect(s).toHaveLength(500);
    expect(s[0]).toBe(0);
    expect(s[499]).toBe(999);
    expect(new Set(s).size).toBe(500);
  });
});

describe("ridge layout", () => {
  it("offset: oldest at the top, newest at the bottom, linear in step, 1/2.5 of the height", () => {
    const l = ridgeLayout([0, 5, 10], 10, 200, "offset");
    expect(l.height).toBe(80);
    expect(Array.from(l.baseline)).toEqual([90, 150, 210]);
  });

  it("overlay: every ridge on the bottom baseline at full height", () => {
    const l = ridgeLayout([0, 5], 10, 200, "overlay");
    expect(l.height).toBe(200);
    expect(Array.from(l.baseline)).toEqual([210, 210]);
  });

  it("a single step sits on the bottom", () => {
    expect(Array.from(ridgeLayout([7], 0, 100, "offset").baseline)).toEqual([100]);
  });

  it("nice ticks are round and cover the range", () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(-0.3, 0.3, 3)).toEqual([-0.2, 0, 0.2]);
    expect(niceTicks(1, 1)).toEqual([1]);
  });

  it("colours go from faded (old) to strong (new); bands darken toward the median", () => {
    expect(mix("#000000", "#ffffff", 0.5)).toBe("rgb(128, 128, 128)");
    expect(stepColor("#ff0000", 0, 3, "#ffffff", "#000000")).toBe(mix("#ff0000", "#ffffff", 0.8));
    expect(stepColor("#ff0000", 2, 3, "#ffffff", "#000000")).toBe(mix("#ff0000", "#000000", 0.45));
    expect(bandAlpha(3)).toBeGreaterThan(bandAlpha(0));
    expect(bandAlpha(3)).toBe(bandAlpha(4));
    expect(bandAlpha(0)).toBe(bandAlpha(7));
  });
});

describe("niceTicks density", () => {
  it("gives a few ticks even when the range is just over a round step", () => {
    expect(niceTicks(-3.1, 3.2, 3)).toEqual([-2, 0, 2]);
    expect(niceTicks(-2.2, 12.5, 4)).toEqual([0, 5, 10]);
    expect(niceTicks(0.1, 0.7, 3)).toEqual([0.2, 0.4, 0.6]);
  });
});
