/** Builds ProfileData by hand for the profile tests: events given per lane/depth, sorted like the kernel sends them. */
import type { ProfileData } from "../../js/profile/wire";

export interface Ev {
  lane: number;
  depth: number;
  start: number;
  dur: number;
  name: string;
  cat?: string;
  self?: number;
}

export function makeProfile(events: Ev[], lanes = 0): ProfileData {
  const evs = [...events].sort((a, b) => a.lane - b.lane || a.depth - b.depth || a.start - b.start);
  const names: string[] = [];
  const cats: string[] = [];
  const idx = (list: string[], v: string) => {
    let k = list.indexOf(v);
    if (k < 0) k = list.push(v) - 1;
    return k;
  };
  const n = evs.length;
  let nLanes = lanes;
  let span = 0;
  for (const e of evs) {
    nLanes = Math.max(nLanes, e.lane + 1);
    span = Math.max(span, e.start + e.dur);
  }
  const maxDepth = new Array<number>(nLanes).fill(0);
  for (const e of evs) maxDepth[e.lane] = Math.max(maxDepth[e.lane], e.depth);
  const d: ProfileData = {
    run: "r",
    session: "s",
    n,
    t0: 0,
    span,
    lanes: Array.from({ length: nLanes }, (_, i) => ({
      pid: 1,
      tid: i,
      process: "p",
      thread: `t${i}`,
      depth: 1 + maxDepth[i],
    })),
    names,
    cats,
    steps: [],
    memory: { n: 0, total: 0, devices: [] },
    overview: null,
    error: null,
    start: Float64Array.from(evs, (e) => e.start),
    dur: Float64Array.from(evs, (e) => e.dur),
    self: Float32Array.from(evs, (e) => e.self ?? e.dur),
    lane: Uint16Array.from(evs, (e) => e.lane),
    depth: Uint8Array.from(evs, (e) => e.depth),
    name: Uint32Array.from(evs, (e) => idx(names, e.name)),
    cat: Uint8Array.from(evs, (e) => idx(cats, e.cat ?? "cpu_op")),
    memTs: new Float64Array(0),
    memAllocated: new Float64Array(0),
    memReserved: new Float64Array(0),
  };
  return d;
}

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` back-to-back leaf events per lane with random gaps and lengths (µs). */
export function denseTrace(n: number, lanes: number, seed = 1): Ev[] {
  const r = rng(seed);
  const out: Ev[] = [];
  const per = Math.ceil(n / lanes);
  for (let l = 0; l < lanes; l++) {
    let t = 0;
    for (let i = 0; i < per && out.length < n; i++) {
      t += r() < 0.01 ? r() * 500 : r() * 2;
      const dur = 0.5 + r() * (r() < 0.001 ? 2000 : 5);
      out.push({ lane: l, depth: 0, start: t, dur, name: `op${(i * 7 + l) % 50}` });
      t += dur;
    }
  }
  return out;
}
