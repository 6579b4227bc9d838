import { describe, expect, it } from "vitest";
import { smooth, smoothContinued } from "../../js/smoothing";

// Expected values worked out by hand from TB's formula:
//   last = w*last + (1-w)*y; n++; y' = last / (1 - w^n)
const arr = (a: Float64Array) => Array.from(a);

describe("smooth (TensorBoard debiased EMA)", () => {
  it("w=0 leaves values unchanged", () => {
    expect(arr(smooth([1, 2, 3], 0))).toEqual([1, 2, 3]);
  });

  it("w=0.6 matches the hand-computed debiased EMA", () => {
    // n=1: last=0.4, /0.4 = 1
    // n=2: last=0.24+0.8=1.04, /0.64 = 1.625
    // n=3: last=0.624+1.2=1.824, /0.784 = 2.326530612244898
    const out = smooth([1, 2, 3], 0.6);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeCloseTo(1.625, 14);
    expect(out[2]).toBeCloseTo(1.824 / 0.784, 14);
    expect(out[2]).toBeCloseTo(2.326530612244898, 14);
  });

  it("w=0.999 debiases the start (first point unchanged)", () => {
    // n=2: last = 0.999*0.001 + 0.001*2 = 0.002999, /(1-0.998001) = 0.002999/0.001999
    const out = smooth([1, 2], 0.999);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(1.5002501250625313, 9);
  });

  it("w=1 uses divisor 1 (the EMA never moves off 0)", () => {
    expect(arr(smooth([1, 2, 3], 1))).toEqual([0, 0, 0]);
  });

  it("clamps w to [0, 1]", () => {
    expect(arr(smooth([1, 2, 3], 1.5))).toEqual([0, 0, 0]);
    expect(arr(smooth([1, 2, 3], -3))).toEqual([1, 2, 3]);
  });

  it("passes NaN through without accumulating it", () => {
    // y=3 is only the 2nd accumulated point: last = 0.6*0.4 + 0.4*3 = 1.44, /0.64 = 2.25
    const out = smooth([1, NaN, 3], 0.6);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(2.25, 14);
  });

  it("passes ±Infinity through without accumulating it", () => {
    const out = smooth([Infinity, 2, -Infinity, 2], 0.5);
    expect(out[0]).toBe(Infinity);
    expect(out[1]).toBe(2);
    expect(out[2]).toBe(-Infinity);
    // 2nd accumulated point: last = 0.5*1 + 0.5*2 = 1.5, /(1-0.25) = 2
    expect(out[3]).toBeCloseTo(2, 14);
  });

  it("leaves a constant series exactly unchanged", () => {
    expect(arr(smooth([0.1, 0.1, 0.1, 0.1], 0.6))).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it("handles empty and single-point series", () => {
    expect(arr(smooth([], 0.6))).toEqual([]);
    expect(arr(smooth([7], 0.6))).toEqual([7]);
  });

  it("does not treat a series starting with NaN as constant", () => {
    const out = smooth([NaN, 1, 3], 0.5);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(1);
    // last = 0.5*0.5 + 0.5*3 = 1.75, /0.75
    expect(out[2]).toBeCloseTo(1.75 / 0.75, 14);
  });
});

describe("smoothContinued", () => {
  it("continues the full series' EMA across a window cut", () => {
    const ys = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 10 + i);
    const full = smooth(ys, 0.9);
    const cut = 20;
    const win = smoothContinued(ys.slice(cut), 0.9, full[cut - 1], cut);
    for (let i = 0; i < win.length; i++) expect(win[i]).toBeCloseTo(full[cut + i], 10);
  });
  it("without a seed equals plain smoothing (non-constant series)", () => {
    expect(Array.from(smoothContinued([1, NaN, 3], 0.6, NaN, 0))).toEqual(Array.from(smooth([1, NaN, 3], 0.6)));
  });
});
