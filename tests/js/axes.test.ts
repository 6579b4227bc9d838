import { describe, expect, it } from "vitest";
import { forLog, formatDuration, nearestIndex, padRange, select, xValues, yExtent } from "../../js/axes";

describe("xValues", () => {
  const step = [0, 10, 20];
  const wall = [1_700_000_000.5, 1_700_000_001.5, 1_700_000_061.25];
  it("step mode uses the step", () => {
    expect(Array.from(xValues("step", step, wall))).toEqual([0, 10, 20]);
  });
  it("wall_time mode uses wall_time in ms", () => {
    expect(Array.from(xValues("wall_time", step, wall))).toEqual([1_700_000_000_500, 1_700_000_001_500, 1_700_000_061_250]);
  });
  it("relative mode uses ms since the series' first point", () => {
    expect(Array.from(xValues("relative", step, wall))).toEqual([0, 1000, 60_750]);
  });
  it("relative mode of a zoomed window counts from the run's first point (t0)", () => {
    expect(Array.from(xValues("relative", [10, 20], [wall[1], wall[2]], wall[0]))).toEqual([1000, 60_750]);
  });
  it("handles empty series", () => {
    expect(xValues("relative", [], []).length).toBe(0);
  });
});

describe("yExtent", () => {
  // 0..100 shuffled into two series plus non-finite noise
  const a = Array.from({ length: 51 }, (_, i) => i * 2); // 0,2,..,100
  const b = Array.from({ length: 50 }, (_, i) => i * 2 + 1); // 1,3,..,99
  it("without ignoreOutliers is the finite min/max", () => {
    expect(yExtent([a, [NaN, Infinity, -Infinity], b], false)).toEqual([0, 100]);
  });
  it("with ignoreOutliers is [ys[ceil((n-1)*.05)], ys[floor((n-1)*.95)]]", () => {
    // n = 101 sorted 0..100: ceil(100*.05)=5, floor(100*.95)=95
    expect(yExtent([a, b], true)).toEqual([5, 95]);
  });
  it("picks the indices TB picks for a small n", () => {
    // n=7: ceil(6*.05)=1, floor(6*.95)=5
    expect(yExtent([[1000, 1, 2, 3, 4, 5, -1000]], true)).toEqual([1, 5]);
  });
  it("keeps the full range for n <= 2", () => {
    expect(yExtent([[3, -7]], true)).toEqual([-7, 3]);
  });
  it("returns null when nothing is finite", () => {
    expect(yExtent([[NaN], []], true)).toBeNull();
  });
  it("ignores non-positive values on a log axis", () => {
    expect(yExtent([[-1, 0, 0.01, 10]], false, true)).toEqual([0.01, 10]);
  });
});

describe("padRange / forLog / nearestIndex / formatDuration", () => {
  it("pads linear ranges by 5% and opens a zero-height range", () => {
    expect(padRange(0, 100)).toEqual([-5, 105]);
    expect(padRange(2, 2)).toEqual([1.8, 2.2]);
    expect(padRange(0, 0)).toEqual([-1, 1]);
  });
  it("pads log ranges in decades", () => {
    const [lo, hi] = padRange(1, 100, true);
    expect(lo).toBeCloseTo(10 ** -0.1, 12);
    expect(hi).toBeCloseTo(10 ** 2.1, 9);
  });
  it("maps non-positive values to NaN for log axes", () => {
    expect(Array.from(forLog([-1, 0, 2]))).toEqual([NaN, NaN, 2]);
  });
  it("finds the nearest index", () => {
    const xs = [0, 10, 20, 30];
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 16)).toBe(2);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex([], 1)).toBe(-1);
  });
  it("formats durations compactly", () => {
    expect(formatDuration(4_200)).toBe("4.2s");
    expect(formatDuration(185_000)).toBe("3m 05s");
    expect(formatDuration(3_720_000)).toBe("1h 02m");
    expect(formatDuration(90_000_000)).toBe("1d 01h");
  });
});

describe("markerEdge", async () => {
  const { markerEdge } = await import("../../js/markers");
  it("puts NaN and +inf on top, -inf and log-invisible values at the bottom", () => {
    expect(markerEdge(NaN, false)).toBe("top");
    expect(markerEdge(Infinity, false)).toBe("top");
    expect(markerEdge(-Infinity, false)).toBe("bottom");
    expect(markerEdge(0, true)).toBe("bottom");
    expect(markerEdge(-2, true)).toBe("bottom");
    expect(markerEdge(-2, false)).toBeNull();
    expect(markerEdge(0.5, true)).toBeNull();
  });
});

describe("select (quickselect behind the outlier-ignoring y range)", () => {
  it("puts the k-th smallest value at k, as a full sort would, on random, sorted and tied data", () => {
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const inputs = [
      Float64Array.from({ length: 5000 }, () => rand() * 100 - 50),
      Float64Array.from({ length: 3000 }, (_, i) => i), // sorted
      Float64Array.from({ length: 3000 }, (_, i) => 3000 - i), // reversed
      Float64Array.from({ length: 2000 }, () => Math.floor(rand() * 4)), // many ties
      Float64Array.from([7]),
    ];
    for (const input of inputs) {
      const sorted = Float64Array.from(input).sort();
      for (const k of [0, 1, Math.floor(input.length / 20), Math.floor(input.length / 2), input.length - 1].filter((k) => k < input.length)) {
        const a = Float64Array.from(input);
        select(a, k, 0, a.length - 1);
        expect(a[k]).toBe(sorted[k]);
        for (let i = 0; i < k; i++) expect(a[i]).toBeLessThanOrEqual(a[k]);
        for (let i = k + 1; i < a.length; i++) expect(a[i]).toBeGreaterThanOrEqual(a[k]);
      }
    }
  });
});

describe("yExtent ignoring outliers", () => {
  it("gives TB's 5th/95th percentile of the sorted finite values, across several series", () => {
    let s = 99;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const series = [0, 1, 2].map((j) => Float64Array.from({ length: 1000 + 500 * j }, (_, i) =>
      i % 97 === 0 ? NaN : (rand() - 0.5) * 10 ** (j + 1)));
    const finite = series.flatMap((a) => Array.from(a)).filter(Number.isFinite).sort((a, b) => a - b);
    const n = finite.length;
    expect(yExtent(series, true)).toEqual([finite[Math.ceil((n - 1) * 0.05)], finite[Math.floor((n - 1) * 0.95)]]);
    expect(yExtent(series, false)).toEqual([finite[0], finite[n - 1]]);
  });
});
