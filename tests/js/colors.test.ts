import { describe, expect, it } from "vitest";
import { fnv1a, PALETTE, runColor, withAlpha } from "../../js/colors";

describe("run colours", () => {
  it("FNV-1a matches the reference vectors", () => {
    // Published FNV-1a 32-bit test vectors.
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("hashes UTF-8 bytes, not UTF-16 code units", () => {
    // "é" is C3 A9 in UTF-8: fold both bytes by hand.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193);
    expect(fnv1a("é")).toBe(h >>> 0);
  });

  it("gives a run the same colour every time", () => {
    expect(runColor("train/lr=0.1")).toBe(runColor("train/lr=0.1"));
    expect(runColor("a")).toBe(PALETTE[0xe40c292c % PALETTE.length]);
  });

  it("spreads different runs across the palette", () => {
    const used = new Map<string, number>();
    for (let i = 0; i < 240; i++) {
      const c = runColor(`run_${i}`);
      used.set(c, (used.get(c) ?? 0) + 1);
    }
    expect(used.size).toBe(PALETTE.length);
    // no colour takes more than twice its fair share
    for (const count of used.values()) expect(count).toBeLessThan((2 * 240) / PALETTE.length);
  });

  it("palette entries are distinct #rrggbb colours", () => {
    expect(new Set(PALETTE).size).toBe(PALETTE.length);
    for (const c of PALETTE) expect(c).toMatch(/^#[0-9a-f]{6}$/);
  });

  it("adds alpha as a hex byte", () => {
    expect(withAlpha("#112233", 0.25)).toBe("#11223340");
  });
});
