import { describe, expect, it } from "vitest";
import { gather, reduceIndices } from "../../js/reduce";

function series(n: number, f: (i: number) => number) {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i;
    y[i] = f(i);
  }
  return { x, y };
}

describe("reduceIndices", () => {
  it("keeps first, last, min and max of each pixel column", () => {
    // 10 points into 2 columns: [0..4] and [5..9]
    const y = [5, 1, 9, 3, 4, 2, 8, 0, 7, 6];
    const x = y.map((_, i) => i);
    const idx = Array.from(reduceIndices(x, y, 0, 10, 2));
    // column 0: first 0, last 4, min 1 (y=1), max 2 (y=9); column 1: first 5, last 9, min 7, max 6
    expect(idx).toEqual([0, 1, 2, 4, 5, 6, 7, 9]);
  });

  it("keeps a single spike among 100k points and stays bounded by ~4*width", () => {
    const { x, y } = series(100_000, (i) => Math.sin(i / 1000) + (i === 54_321 ? 1e6 : 0));
    const idx = reduceIndices(x, y, 0, 99_999, 300);
    expect(idx.length).toBeLessThanOrEqual(4 * 300);
    expect(Array.from(idx)).toContain(54_321);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(99_999);
    // the global min and max survive
    const ys = Array.from(gather(y, idx));
    expect(Math.max(...ys)).toBe(Math.max(...y));
    expect(Math.min(...ys)).toBe(Math.min(...y));
  });

  it("keeps every non-finite point", () => {
    const bad = new Set([10, 500, 501, 9_999]);
    const { x, y } = series(10_000, (i) =>
      bad.has(i) ? (i === 500 ? Infinity : i === 501 ? -Infinity : NaN) : i % 7,
    );
    const idx = Array.from(reduceIndices(x, y, 0, 9_999, 50));
    for (const b of bad) expect(idx).toContain(b);
    expect(idx.length).toBeLessThanOrEqual(4 * 50 + bad.size);
    // ascending, no duplicates
    expect(idx).toEqual([...new Set(idx)].sort((a, b) => a - b));
  });

  it("restricts to the zoom range plus one neighbour on each side", () => {
    const { x, y } = series(1000, (i) => i);
    const idx = Array.from(reduceIndices(x, y, 100, 199, 1000));
    expect(idx[0]).toBe(99);
    expect(idx[idx.length - 1]).toBe(200);
    expect(idx.length).toBe(102); // all 100 in range (more columns than points) + 2 neighbours
  });

  it("gather picks values by index", () => {
    expect(Array.from(gather([10, 11, 12, 13], [0, 3]))).toEqual([10, 13]);
  });
});
