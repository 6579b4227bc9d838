/**
 * Level of detail for the timeline: per row (one lane at one nesting depth) the events sorted by
 * start, plus coarser levels where events closer than a gap are merged into blocks. A frame picks
 * the coarsest level whose gap is still under a pixel, so it visits about as many blocks as the
 * row has pixels, not as many events as the trace has; what remains narrower than a pixel is
 * merged on the fly. A block is drawn in the colour of its longest event. No DOM: unit-tested.
 */
import type { ProfileData } from "./wire";

export interface Level {
  /** Blocks here are separated by at least this many µs. */
  gap: number;
  start: Float64Array;
  end: Float64Array;
  /** Events merged into each block. */
  count: Uint32Array;
  /** Index (into the profile's columns) of each block's longest event. */
  rep: Uint32Array;
}

export interface Row {
  lane: number;
  depth: number;
  /** Events [lo, hi) of the profile's columns, sorted by start. */
  lo: number;
  hi: number;
  /** Running maximum of the events' ends: binary-searchable even where events overlap. */
  maxEnd: Float64Array;
  /** Coarser levels, finest first (each at most half the blocks of the one before). */
  levels: Level[];
}

const FIRST_GAP = 1e-3; // µs (1 ns): finer than any trace's clock
const GAP_FACTOR = 4;

/** Rows of every lane × depth. The profile's columns are already sorted by (lane, depth, start). */
export function buildRows(d: ProfileData): Row[] {
  const rows: Row[] = [];
  let lo = 0;
  for (let i = 1; i <= d.n; i++) {
    if (i === d.n || d.lane[i] !== d.lane[lo] || d.depth[i] !== d.depth[lo]) {
      rows.push(buildRow(d, lo, i));
      lo = i;
    }
  }
  return rows;
}

function buildRow(d: ProfileData, lo: number, hi: number): Row {
  const n = hi - lo;
  const maxEnd = new Float64Array(n);
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = d.start[lo + i] + d.dur[lo + i];
    if (e > m) m = e;
    maxEnd[i] = m;
  }
  const levels: Level[] = [];
  let prev: Level = {
    gap: 0,
    start: d.start.subarray(lo, hi),
    end: maxEnd, // within a level, a block ends where everything before it has ended
    count: new Uint32Array(n).fill(1),
    rep: Uint32Array.from({ length: n }, (_, i) => lo + i),
  };
  const span = n ? maxEnd[n - 1] - d.start[lo] : 0;
  for (let gap = FIRST_GAP; prev.start.length > 1 && gap <= span * GAP_FACTOR; gap *= GAP_FACTOR) {
    const next = mergeLevel(prev, gap, d.dur);
    // keep a level only when it halves the blocks: frames stay bounded, memory stays ~2n
    if (next.start.length * 2 <= prev.start.length) {
      levels.push(next);
      prev = next;
    }
  }
  return { lane: d.lane[lo], depth: d.depth[lo], lo, hi, maxEnd, levels };
}

/** Merges consecutive blocks of `prev` separated by less than `gap`. */
export function mergeLevel(prev: Level, gap: number, dur: Float64Array): Level {
  const n = prev.start.length;
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const count = new Uint32Array(n);
  const rep = new Uint32Array(n);
  let k = -1;
  for (let i = 0; i < n; i++) {
    if (k >= 0 && prev.start[i] - end[k] < gap) {
      if (prev.end[i] > end[k]) end[k] = prev.end[i];
      count[k] += prev.count[i];
      if (dur[prev.rep[i]] > dur[rep[k]]) rep[k] = prev.rep[i];
    } else {
      k++;
      start[k] = prev.start[i];
      end[k] = prev.end[i];
      count[k] = prev.count[i];
      rep[k] = prev.rep[i];
    }
  }
  const m = k + 1;
  return { gap, start: start.slice(0, m), end: end.slice(0, m), count: count.slice(0, m), rep: rep.slice(0, m) };
}

/** First index whose value is >= x in an ascending array. */
export function lowerBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A rectangle to draw: [x0, x1) in pixels, the event whose colour/label it takes, events in it. */
export interface Block {
  x0: number;
  x1: number;
  rep: number;
  count: number;
}

/**
 * Calls `emit` for the blocks of `row` visible in [t0, t1] at `pxPerUs`, each at least a pixel
 * wide, with neighbours closer than a pixel merged. Returns the number of blocks visited.
 */
export function visibleBlocks(
  d: ProfileData,
  row: Row,
  t0: number,
  t1: number,
  pxPerUs: number,
  emit: (x0: number, x1: number, rep: number, count: number) => void,
): number {
  const usPerPx = 1 / pxPerUs;
  let lvl: Level | null = null;
  for (const l of row.levels) {
    if (l.gap <= usPerPx) lvl = l;
    else break;
  }
  let starts: Float64Array;
  let ends: Float64Array;
  let i: number;
  let hi: number;
  if (lvl) {
    starts = lvl.start;
    ends = lvl.end;
    i = lowerBound(ends, t0); // blocks are disjoint and sorted: ends ascend too
    hi = starts.length;
  } else {
    starts = d.start;
    ends = row.maxEnd;
    i = row.lo + lowerBound(row.maxEnd, t0);
    hi = row.hi;
  }
  let visited = 0;
  let cx0 = 0;
  let cx1 = -Infinity;
  let crep = -1;
  let ccount = 0;
  let cdur = -1;
  for (; i < hi; i++) {
    const s = starts[i];
    if (s > t1) break;
    visited++;
    let rep: number;
    let count: number;
    let e: number;
    if (lvl) {
      rep = lvl.rep[i];
      count = lvl.count[i];
      e = ends[i];
    } else {
      rep = i;
      count = 1;
      e = s + d.dur[i];
    }
    const x0 = (s - t0) * pxPerUs;
    let x1 = (e - t0) * pxPerUs;
    if (x1 - x0 < 1) x1 = x0 + 1;
    if (crep >= 0 && x0 < cx1 + 1 && (cx1 - cx0 < 2 || x1 - x0 < 2 || x0 < cx1)) {
      // touches the current run within a pixel and one of them is tiny (or they overlap): merge
      if (x1 > cx1) cx1 = x1;
      ccount += count;
      if (d.dur[rep] > cdur) {
        crep = rep;
        cdur = d.dur[rep];
      }
      continue;
    }
    if (crep >= 0) emit(cx0, cx1, crep, ccount);
    cx0 = x0;
    cx1 = x1;
    crep = rep;
    ccount = count;
    cdur = d.dur[rep];
  }
  if (crep >= 0) emit(cx0, cx1, crep, ccount);
  return visited;
}

/**
 * The event of `row` under time `t` (within `tol` µs), preferring the one whose span contains `t`;
 * -1 when none. Scans back from the last event starting before t + tol while ends can still reach.
 */
export function eventAt(d: ProfileData, row: Row, t: number, tol: number): number {
  let i = row.lo + lowerBound(d.start.subarray(row.lo, row.hi), t + tol) - 1;
  let best = -1;
  let bestDist = Infinity;
  for (let steps = 0; i >= row.lo && steps < 4096; i--, steps++) {
    if (row.maxEnd[i - row.lo] < t - tol) break;
    const s = d.start[i];
    const e = s + d.dur[i];
    const dist = t < s ? s - t : t > e ? t - e : 0;
    if (dist <= tol && (dist < bestDist || (dist === bestDist && d.dur[i] < d.dur[best]))) {
      best = i;
      bestDist = dist;
      if (dist === 0 && row.levels.length === 0) break;
    }
  }
  return best;
}
