import { describe, expect, it } from "vitest";
import { binRange, rebin, rebinOne } from "../../js/rebin";

const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);

describe("rebin", () => {
  it("makes 30 equal bins over the union of every step's range", () => {
    const r = rebin([
      { left: [0, 1], right: [1, 2], count: [1, 1] },
      { left: [-1, 2], right: [2, 4], count: [3, 3] },
    ]);
    expect(r.binCount).toBe(30);
    expect(r.left).toBe(-1);
    expect(r.dx).toBeCloseTo(5 / 30, 15);
    expect(r.counts).toHaveLength(2);
    expect(sum(r.counts[0])).toBeCloseTo(2, 12);
    expect(sum(r.counts[1])).toBeCloseTo(6, 12);
  });

  it("spreads a bucket over the bins it overlaps, by overlap", () => {
    // TB's doc example: [5][10] over 2 bins of the whole range -> 10 and 5.
    const r = rebinOne({ left: [0, 1], right: [1, 3], count: [5, 10] }, 0, 1.5, 2);
    expect(Array.from(r)).toEqual([5 + 10 * 0.25, 10 * 0.75]);
  });

  it("puts a zero-width bucket whole into the bin containing it, the next bin on an edge", () => {
    // TB's doc example: [0][20 (zero width)][0] with the point on the shared edge -> [0, 20].
    const r = rebinOne({ left: [0, 1, 1], right: [1, 1, 2], count: [0, 20, 0] }, 0, 1, 2);
    expect(Array.from(r)).toEqual([0, 20]);
    const inside = rebinOne({ left: [0.5], right: [0.5], count: [7] }, 0, 1, 2);
    expect(Array.from(inside)).toEqual([7, 0]);
    const lastEdge = rebinOne({ left: [2], right: [2], count: [3] }, 0, 1, 2);
    expect(Array.from(lastEdge)).toEqual([0, 3]); // the last bin is closed on the right
  });

  it("widens a zero-width range like TensorBoard", () => {
    const v = new Array(30).fill(2.5);
    const c = new Array(30).fill(0);
    c[29] = 64;
    const r = rebin([{ left: v, right: v, count: c }]);
    expect(r.left).toBeCloseTo(2.5 / 1.1 - 1, 15);
    expect(r.left + 30 * r.dx).toBeCloseTo(2.5 * 1.1 + 1, 12);
    expect(sum(r.counts[0])).toBe(64);
  });

  it("keeps every count of regular TF2 histograms (mass is conserved)", () => {
    const hists = [0, 1, 2].map((k) => {
      const left: number[] = [];
      const right: number[] = [];
      const count: number[] = [];
      for (let i = 0; i < 30; i++) {
        left.push(-1 - k + (i * (2 + 3 * k)) / 30);
        right.push(-1 - k + ((i + 1) * (2 + 3 * k)) / 30);
        count.push((i * 7 + k) % 11);
      }
      return { left, right, count };
    });
    const r = rebin(hists);
    hists.forEach((h, i) => expect(sum(r.counts[i])).toBeCloseTo(h.count.reduce((s, x) => s + x, 0), 9));
  });

  it("has no range without buckets", () => {
    expect(binRange([{ left: [], right: [], count: [] }])).toBeNull();
    const r = rebin([{ left: [], right: [], count: [] }]);
    expect(r.binCount).toBe(0);
    expect(r.counts[0].length).toBe(0);
  });
});
