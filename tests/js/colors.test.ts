import { describe, expect, it } from "vitest";
import { assignColors, colorsOf, fnv1a, PALETTE, runColor, withAlpha } from "../../js/colors";

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

describe("a logdir's run colours (assignColors)", () => {
  const RUNS = ["run_lr_001", "run_lr_0001", "run_lr_00001", ...Array.from({ length: 11 }, (_, i) => `seed_${i}`)];
  // tests/test_plot.py holds the same vector for nbtb.plot.run_colors
  const EXPECTED = {
    run_lr_00001: "#0077bb", run_lr_0001: "#12b5cb", run_lr_001: "#9334e6", seed_0: "#cc3311",
    seed_1: "#009988", seed_10: "#e8710a", seed_2: "#7cb342", seed_3: "#5c7cfa", seed_4: "#e52592",
    seed_5: "#f9ab00", seed_6: "#8e98a3", seed_7: "#ff7043", seed_8: "#e52592", seed_9: "#f9ab00",
  };

  it("is the rule nbtb.plot.run_colors follows", () => {
    expect(Object.fromEntries(assignColors(RUNS))).toEqual(EXPECTED);
  });

  it("never gives two of twelve runs the same colour, even when their hashes collide", () => {
    expect(runColor("run_lr_0001")).toBe(runColor("run_lr_00001"));
    const twelve = RUNS.slice(0, 12);
    expect(new Set(assignColors(twelve).values()).size).toBe(12);
    // beyond the palette, colours are reused evenly
    const counts = new Map<string, number>();
    for (const c of assignColors(RUNS).values()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(2);
  });

  it("gives a run its own hash colour when that is free, whatever the order it is listed in", () => {
    const colours = assignColors(["beta", "alpha"]);
    expect(colours).toEqual(assignColors(["alpha", "beta"]));
    const first = [...colours.keys()].sort()[0];
    expect(colours.get(first)).toBe(runColor(first));
  });

  it("keeps the colours already on the screen when a run appears", () => {
    const before = assignColors(["run_lr_0001", "run_lr_001"]);
    // run_lr_00001 sorts first and hashes where run_lr_0001 is: it must look elsewhere
    const after = assignColors(["run_lr_00001", "run_lr_0001", "run_lr_001"], before);
    for (const [run, c] of before) expect(after.get(run)).toBe(c);
    expect(after.get("run_lr_00001")).not.toBe(after.get("run_lr_0001"));
  });

  it("follows a dashboard model's runs trait, keeping colours when it grows", () => {
    const state: Record<string, unknown> = { runs: ["run_lr_0001", "run_lr_001"] };
    const model = { get: (k: string) => state[k] };
    const color = colorsOf(model);
    const a = color("run_lr_0001");
    state.runs = ["run_lr_00001", "run_lr_0001", "run_lr_001"];
    expect(color("run_lr_0001")).toBe(a);
    expect(color("run_lr_00001")).not.toBe(a);
    expect(color("not a run")).toBe(runColor("not a run"));
  });
});
