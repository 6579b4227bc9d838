import { describe, expect, it } from "vitest";
import { lowerBound, upperBound } from "../../js/bisect";

describe("bisect", () => {
  const a = Float64Array.from([1, 2, 2, 2, 5]);
  it("lowerBound: first index >= x; upperBound: first index > x (ties between them)", () => {
    expect([0, 1, 2, 3, 5, 6].map((x) => lowerBound(a, x))).toEqual([0, 0, 1, 4, 4, 5]);
    expect([0, 1, 2, 3, 5, 6].map((x) => upperBound(a, x))).toEqual([0, 1, 4, 4, 5, 5]);
    expect(upperBound(a, 2) - lowerBound(a, 2)).toBe(3);
  });
  it("infinite bounds select everything or nothing", () => {
    expect([lowerBound(a, -Infinity), upperBound(a, Infinity)]).toEqual([0, 5]);
    expect(lowerBound(new Float64Array(0), 1)).toBe(0);
  });
});
