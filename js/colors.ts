/**
 * Stable run colours.
 *
 * A run keeps its colour in every card, every notebook and every session because the
 * colour depends only on the run's name, not on the order runs were discovered (which
 * changes when a new run appears). The hash is 32-bit FNV-1a over the UTF-8 bytes so a
 * Python plot can reproduce it with a few lines.
 */

/** TensorBoard-like hues, mid-luminance so each reads on both light and dark backgrounds. */
export const PALETTE: readonly string[] = [
  "#ff7043", // deep orange (TB's first colour)
  "#0077bb", // blue
  "#12b5cb", // cyan
  "#e52592", // magenta
  "#f9ab00", // amber
  "#9334e6", // purple
  "#7cb342", // green
  "#cc3311", // red
  "#009988", // teal
  "#e8710a", // orange
  "#5c7cfa", // indigo
  "#8e98a3", // grey
];

const encoder = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 encoding of `s`, as an unsigned integer. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of encoder.encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A run's own colour: its hash slot in the palette (what assignColors gives it when free). */
export function runColor(run: string): string {
  return PALETTE[fnv1a(run) % PALETTE.length];
}

/**
 * The colours of a logdir's runs: each run takes, from its own hash slot onwards, the first
 * colour that the fewest runs already have. Twelve runs or fewer thus never share a colour
 * (`run_lr_0001` and `run_lr_00001` hash to the same slot), and a run keeps its hash colour
 * whenever that is free. Runs are taken in sorted order, so the same runs get the same colours
 * in every card and every session; `keep` (the colours already on the screen) stays as it is,
 * so a run that appears while a dashboard is open changes no other run's colour.
 * nbtb/plot.py `run_colors` is the same rule (the static picture and Python plots use it).
 */
export function assignColors(runs: readonly string[], keep?: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map(keep ?? []);
  const used = new Array<number>(PALETTE.length).fill(0);
  for (const c of out.values()) {
    const k = PALETTE.indexOf(c);
    if (k >= 0) used[k]++;
  }
  for (const run of [...new Set(runs)].sort()) {
    if (out.has(run)) continue;
    const start = fnv1a(run) % PALETTE.length;
    let best = start;
    for (let k = 1; k < PALETTE.length; k++) {
      const slot = (start + k) % PALETTE.length;
      if (used[slot] < used[best]) best = slot;
    }
    used[best]++;
    out.set(run, PALETTE[best]);
  }
  return out;
}

/** What colorsOf needs of a widget model: its `runs` trait. */
interface RunsSource {
  get(key: "runs"): unknown;
}

const perModel = new WeakMap<object, { runs: unknown; colors: Map<string, string> }>();

/**
 * The colour function of one dashboard: assignColors over its model's `runs` trait, made again
 * (keeping the colours given so far) only when that list changes.
 */
export function colorsOf(model: RunsSource): (run: string) => string {
  return (run) => {
    const runs = model.get("runs");
    let state = perModel.get(model);
    if (!state || state.runs !== runs) {
      const list = Array.isArray(runs) ? runs.map(String) : [];
      state = { runs, colors: assignColors(list, state?.colors) };
      perModel.set(model, state);
    }
    return state.colors.get(run) ?? runColor(run);
  };
}

/** `#rrggbb` with an alpha, for the faded raw line drawn behind the smoothed one. */
export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.min(Math.max(alpha, 0), 1) * 255)
    .toString(16)
    .padStart(2, "0");
  return hex + a;
}
