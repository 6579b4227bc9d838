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

export function runColor(run: string): string {
  return PALETTE[fnv1a(run) % PALETTE.length];
}

/** `#rrggbb` with an alpha, for the faded raw line drawn behind the smoothed one. */
export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.min(Math.max(alpha, 0), 1) * 255)
    .toString(16)
    .padStart(2, "0");
  return hex + a;
}
