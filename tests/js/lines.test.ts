/**
 * The chart's line drawing (js/lines.ts), on a context that records its calls: what a
 * polyline holds per pixel column, where it breaks, what is clipped, and the NaN markers.
 */
import { describe, expect, it } from "vitest";
import { drawLines } from "../../js/lines";
import { markerCandidates, markersFor } from "../../js/markers";
import { lineJob as job } from "./line_fixture";

type Call = [string, ...number[]];

/** A 2D context that keeps moveTo/lineTo/stroke/fill calls (and the styles set before them). */
function recorder() {
  const calls: Call[] = [];
  const styles: { strokeStyle: string; lineWidth: number; fillStyle: string }[] = [];
  const ctx = {
    strokeStyle: "",
    fillStyle: "",
    lineWidth: 0,
    lineJoin: "",
    lineCap: "",
    save() {},
    restore() {},
    clip() {},
    rect(...a: number[]) {
      calls.push(["rect", ...a]);
    },
    clearRect(...a: number[]) {
      calls.push(["clearRect", ...a]);
    },
    beginPath() {
      calls.push(["beginPath"]);
    },
    closePath() {},
    moveTo(x: number, y: number) {
      calls.push(["moveTo", x, y]);
    },
    lineTo(x: number, y: number) {
      calls.push(["lineTo", x, y]);
    },
    stroke() {
      calls.push(["stroke"]);
      styles.push({ strokeStyle: ctx.strokeStyle, lineWidth: ctx.lineWidth, fillStyle: ctx.fillStyle });
    },
    fill() {
      calls.push(["fill"]);
      styles.push({ strokeStyle: ctx.strokeStyle, lineWidth: ctx.lineWidth, fillStyle: ctx.fillStyle });
    },
  };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls, styles };
}

/** The path commands of each stroked line. */
function paths(calls: Call[]): Call[][] {
  const out: Call[][] = [];
  let cur: Call[] = [];
  for (const c of calls) {
    if (c[0] === "beginPath") cur = [];
    else if (c[0] === "moveTo" || c[0] === "lineTo") cur.push(c);
    else if (c[0] === "stroke") out.push(cur);
  }
  return out;
}

describe("drawLines", () => {
  it("maps x and y onto the plot box (y up), one stroke per line in order", () => {
    const { ctx, calls, styles } = recorder();
    drawLines(ctx, job([0, 50, 100], [[0, 50, 100], [100, 100, 100]]));
    expect(calls[0]).toEqual(["clearRect", 0, 0, 120, 110]);
    expect(paths(calls)).toEqual([
      [["moveTo", 10, 100], ["lineTo", 60, 50], ["lineTo", 110, 0]],
      [["moveTo", 10, 0], ["lineTo", 60, 0], ["lineTo", 110, 0]],
    ]);
    expect(styles.map((s) => s.strokeStyle)).toEqual(["#000000", "#000001"]);
  });

  it("draws many points in one pixel column as entry, lowest, highest and exit", () => {
    const { ctx, calls } = recorder();
    // x 40.0 .. 40.4 all fall in pixel column 50; then one point in column 60
    drawLines(ctx, job([40, 40.1, 40.2, 40.3, 40.4, 50], [[50, 90, 10, 70, 60, 50]]));
    const [line] = paths(calls);
    // y pixels: 100 - value
    expect(line).toEqual([
      ["moveTo", 50, 50],
      ["lineTo", 50, 10], // highest value = lowest pixel
      ["lineTo", 50, 90],
      ["lineTo", 50, 40], // the column's last point
      ["lineTo", 60, 50],
    ]);
  });

  it("steps over NaN (no point in that row) and breaks the line at ±Infinity (a gap)", () => {
    const { ctx, calls } = recorder();
    drawLines(ctx, job([0, 10, 20, 30, 40], [[0, NaN, 20, Infinity, 40]]));
    expect(paths(calls)[0]).toEqual([
      ["moveTo", 10, 100],
      ["lineTo", 30, 80],
      ["moveTo", 50, 60],
    ]);
  });

  it("uses base-10 log positions on a log axis and scales widths by the pixel ratio", () => {
    const { ctx, calls, styles } = recorder();
    drawLines(ctx, job([0, 100], [[1, 100]], { yMin: 1, yMax: 1000, yLog: true, pxRatio: 2 }));
    const [line] = paths(calls);
    expect(line[0]).toEqual(["moveTo", 10, 100]);
    expect(line[1][0]).toBe("lineTo");
    expect(line[1][2]).toBeCloseTo(100 - (2 / 3) * 100, 9);
    expect(styles[0].lineWidth).toBe(2);
  });

  it("clips to the plot box, and draws nothing for an empty scale", () => {
    const a = recorder();
    drawLines(a.ctx, job([0, 100], [[0, 100]]));
    expect(a.calls).toContainEqual(["rect", 10, 0, 100, 100]);
    const b = recorder();
    drawLines(b.ctx, job([0, 100], [[0, 100]], { xMin: 5, xMax: 5 }));
    expect(paths(b.calls)).toEqual([]);
  });

  it("leaves the canvas as it is when asked not to clear (a PNG drawn over the axes)", () => {
    const { ctx, calls } = recorder();
    drawLines(ctx, job([0, 100], [[0, 100]]), false);
    expect(calls.some((c) => c[0] === "clearRect")).toBe(false);
  });

  it("draws a marker per visible spot, once for many NaNs on the same pixel", () => {
    const { ctx, calls, styles } = recorder();
    const markers = [
      { x: 20, top: true, color: "#aa0000" },
      { x: 20.1, top: true, color: "#aa0000" }, // same pixel, same edge, same run: drawn once
      { x: 20, top: false, color: "#aa0000" },
      { x: 500, top: true, color: "#aa0000" }, // outside the plot
    ];
    drawLines(ctx, job([0, 100], [[0, 100]], { markers }));
    expect(styles.filter((s) => s.fillStyle === "#aa0000")).toHaveLength(2);
    expect(calls.filter((c) => c[0] === "fill")).toHaveLength(2);
  });
});

describe("markers", () => {
  it("finds the candidates once and places them by axis", () => {
    const value = Float64Array.from([1, NaN, -2, 0, Infinity, -Infinity, 3]);
    const candidates = markerCandidates(value);
    expect(Array.from(candidates)).toEqual([1, 2, 3, 4, 5]);
    const x = Float64Array.from([0, 1, 2, 3, 4, 5, 6]);
    const run = { color: "#123456", x, value, candidates };
    const edges = (log: boolean) => markersFor([run], log).map((m) => [m.x, m.top]);
    expect(edges(false)).toEqual([[1, true], [4, true], [5, false]]);
    // on a log axis zero and negatives cannot be drawn either
    expect(edges(true)).toEqual([[1, true], [2, false], [3, false], [4, true], [5, false]]);
  });
});
