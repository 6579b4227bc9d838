import { describe, expect, it } from "vitest";
import { compressHistogram, NORMAL_HISTOGRAM_BPS, numpySum } from "../../js/compress";
import { cases } from "./compress_fixture";

describe("compressHistogram", () => {
  it.each(cases.map((c) => [c.name, c] as const))("equals TensorBoard's compressor bit for bit: %s", (_name, c) => {
    const got = Array.from(compressHistogram(c.left, c.right, c.count));
    expect(got).toEqual(c.expected);
  });

  it("gives zeros for an empty histogram and 9 values per histogram", () => {
    expect(Array.from(compressHistogram([], [], []))).toEqual(new Array(9).fill(0));
    expect(compressHistogram([0], [1], [5]).length).toBe(NORMAL_HISTOGRAM_BPS.length);
  });

  it("interpolates linearly inside one bucket", () => {
    const v = compressHistogram([0], [10], [4]);
    expect(v[0]).toBe(0);
    expect(v[4]).toBeCloseTo(5, 12);
    expect(v[8]).toBe(10);
    expect(v[1]).toBeCloseTo(0.668, 12);
  });

  it("skips empty buckets and is monotone", () => {
    const v = compressHistogram([-3, -1, 0, 2], [-1, 0, 2, 5], [2, 0, 0, 2]);
    for (let i = 1; i < v.length; i++) expect(v[i]).toBeGreaterThanOrEqual(v[i - 1]);
    // TB quirk kept: the median is where the upper half starts, after the empty buckets.
    expect(v[4]).toBe(2);
  });

  it("an all-equal TF2 histogram puts every basis point on the value", () => {
    const l = new Array(30).fill(2.5);
    const cnt = new Array(30).fill(0);
    cnt[29] = 64;
    expect(Array.from(compressHistogram(l, l, cnt))).toEqual(new Array(9).fill(2.5));
  });
});

describe("numpySum", () => {
  it("is exact on integers at every size class", () => {
    for (const n of [0, 1, 7, 8, 9, 128, 129, 1000]) {
      const a = Array.from({ length: n }, (_, i) => i + 1);
      expect(numpySum(a)).toBe((n * (n + 1)) / 2);
    }
  });
});
