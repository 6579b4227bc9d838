import { describe, expect, it } from "vitest";
import { gridTable } from "../../js/grid";
import { reduceIndices } from "../../js/reduce";

/** A run logging at its own irregular steps between `from` and `to`, with a spike. */
function run(seed: number, from: number, to: number, n: number) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = new Float64Array(n);
  const raw = new Float64Array(n);
  const smoothed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = from + ((to - from) * (i + rand() * 0.9)) / n;
    raw[i] = Math.sin(i / 50) + rand() + (i === Math.floor(n / 3) ? 40 : 0);
    smoothed[i] = raw[i] * 0.5;
  }
  return { x, raw, smoothed };
}

/** The (row, value) cells a run's column draws, in row order (NaN: no point in that row). */
function drawn(column: Float64Array) {
  const out: { row: number; value: number }[] = [];
  column.forEach((v, row) => {
    if (!Number.isNaN(v)) out.push({ row, value: v });
  });
  return out;
}

describe("gridTable", () => {
  const runs = [run(1, 0, 1000, 5000), run(2, 100, 900, 3000), run(3, 0, 1000, 800)];
  const cols = 200;

  it("has 4 rows per pixel column whatever the number of runs, with ascending x", () => {
    const t = gridTable(runs, 0, 1000, cols)!;
    expect(t.length).toBe(1 + 2 * runs.length);
    expect(t[0].length).toBe(4 * cols);
    for (let i = 1; i < t[0].length; i++) expect(t[0][i]!).toBeGreaterThan(t[0][i - 1]!);
    expect(t[0][0]).toBe(0);
    expect(t[0][t[0].length - 1]).toBe(1000);
  });

  it("draws exactly the points the per-pixel reduction keeps, in order, each within one column of its x", () => {
    const t = gridTable(runs, 0, 1000, cols)!;
    const colWidth = 1000 / cols;
    runs.forEach((r, j) => {
      const keep = Array.from(reduceIndices(r.x, r.raw, 0, 1000, cols));
      const raw = drawn(t[1 + j]);
      const smooth = drawn(t[1 + runs.length + j]);
      expect(raw.map((c) => c.value)).toEqual(keep.map((i) => r.raw[i]));
      expect(smooth.map((c) => c.value)).toEqual(keep.map((i) => r.smoothed[i]));
      raw.forEach((c, k) => {
        expect(Math.abs((t[0][c.row] as number) - r.x[keep[k]])).toBeLessThanOrEqual(colWidth * 1.01);
      });
    });
  });

  it("keeps the spike of every run", () => {
    const t = gridTable(runs, 0, 1000, cols)!;
    runs.forEach((_r, j) => {
      expect(Math.max(...drawn(t[1 + j]).map((c) => c.value))).toBeGreaterThan(39);
    });
  });

  it("zoomed: keeps the nearest point beyond each edge at its own x", () => {
    const t = gridTable(runs, 400, 600, 50)!;
    const r = runs[0];
    const before = Array.from(r.x).filter((v) => v < 400).pop()!;
    const after = Array.from(r.x).find((v) => v > 600)!;
    expect(t[0]).toContain(before);
    expect(t[0]).toContain(after);
    const keep = Array.from(reduceIndices(r.x, r.raw, 400, 600, 50));
    expect(drawn(t[1]).map((c) => c.value)).toEqual(keep.map((i) => r.raw[i]));
  });

  it("gives way to the exact table when a visible value is a gap (NaN, or <= 0 on a log axis)", () => {
    const withNaN = run(4, 0, 1000, 2000);
    withNaN.raw[700] = NaN;
    expect(gridTable([runs[0], withNaN], 0, 1000, cols)).toBeNull();
    const withZero = run(5, 0, 1000, 2000);
    withZero.raw[10] = 0;
    expect(gridTable([runs[0], withZero], 0, 1000, cols, false)).not.toBeNull();
    expect(gridTable([runs[0], withZero], 0, 1000, cols, true)).toBeNull();
    expect(gridTable(runs, 5, 5, cols)).toBeNull();
  });
});
