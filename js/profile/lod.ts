/**
 * Level of detail for the timeline: per row (one lane at one nesting depth) the events sorted by
 * start, plus coarser levels where events closer than a gap are merged into blocks. A frame picks
 * the coarsest level whose gap is still under a pixel, so it visits about as many blocks as the
 * row has pixels, not as many events as the trace has; what remains narrower than a pixel is
 * merged on the fly. A block is drawn in the colour of its longest event. No DOM: unit-tested.
 */
import type { ProfileData } from "./wire";
import { lowerBound } from "../bisect";

export { lowerBound };

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
const LADDER = 24; // gaps from 1 ns to 4^23 ns (~20 h)

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
  // One pass: the running end, and how many gaps between events fall at or above each gap of
  // the ladder FIRST_GAP * GAP_FACTOR^k (a level at gap g has 1 + #(gaps >= g) blocks).
  const ladder = new Float64Array(LADDER);
  let m = -Infinity;
  const logF = Math.log(GAP_FACTOR);
  for (let i = 0; i < n; i++) {
    const s = d.start[lo + i];
    if (i > 0) {
      const gap = s - m;
      if (gap >= FIRST_GAP) ladder[Math.min(LADDER - 1, Math.floor(Math.log(gap / FIRST_GAP) / logF))]++;
    }
    const e = s + d.dur[lo + i];
    if (e > m) m = e;
    maxEnd[i] = m;
  }
  for (let k = LADDER - 2; k >= 0; k--) ladder[k] += ladder[k + 1]; // now: gaps >= gap_k
  const levels: Level[] = [];
  let prevCount = n;
  let prev: Level | null = null;
  let gap = FIRST_GAP;
  for (let k = 0; k < LADDER && prevCount > 1; k++, gap *= GAP_FACTOR) {
    const blocks = 1 + ladder[k];
    // keep a level only when it halves the blocks: frames stay bounded, memory stays ~2n
    if (blocks * 2 > prevCount) continue;
    const next: Level = prev ? mergeLevel(prev, gap, d.dur) : mergeEvents(d, lo, hi, maxEnd, gap);
    levels.push(next);
    prev = next;
    prevCount = next.start.length;
  }
  return { lane: d.lane[lo], depth: d.depth[lo], lo, hi, maxEnd, levels };
}

/** The first level, straight from the events [lo, hi) (`maxEnd`: their running end). */
function mergeEvents(d: ProfileData, lo: number, hi: number, maxEnd: Float64Array, gap: number): Level {
  const n = hi - lo;
  let m = 1;
  for (let i = 1; i < n; i++) if (d.start[lo + i] - maxEnd[i - 1] >= gap) m++;
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  const count = new Uint32Array(m);
  const rep = new Uint32Array(m);
  let k = -1;
  for (let i = 0; i < n; i++) {
    const j = lo + i;
    if (k < 0 || d.start[j] - maxEnd[i - 1] >= gap) {
      k++;
      start[k] = d.start[j];
      rep[k] = j;
    } else if (d.dur[j] > d.dur[rep[k]]) rep[k] = j;
    end[k] = maxEnd[i];
    count[k]++;
  }
  return { gap, start, end, count, rep };
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
