/**
 * Histogram data plane, browser side (docs/protocol.md): `histograms_request` out,
 * `histograms_reply` in (per run: step, wall_time, offsets, left, right, count as float64
 * buffers), merged by run across parts. No DOM: unit-tested in node.
 */
import { toFloat64 } from "./protocol";
import type { Buckets } from "./rebin";
import type { Buf } from "./protocol";

export interface HistogramsRequest {
  kind: "histograms_request";
  request_id: number;
  tag: string;
  runs: string[];
  /** A refresh of one run's card: what it has (steps, last step), so nothing new costs no bytes. */
  known_count?: number;
  known_last?: number;
}

export interface HistogramsReply {
  kind: "histograms_reply";
  request_id: number;
  tag: string;
  series: { run: string; n: number; buckets: number }[];
  part?: number;
  parts?: number;
  /** The card's `known_count`/`known_last` still hold: no data was sent. */
  unchanged?: boolean;
}

/** One run's histograms of one tag, by step. */
export interface RunHistograms {
  run: string;
  step: Float64Array;
  wall: Float64Array;
  hists: Buckets[];
}


/** Splits a reply's buffers (6 per run) into per-step buckets; throws when sizes disagree. */
export function decodeHistograms(headers: HistogramsReply["series"], buffers: Buf[]): RunHistograms[] {
  if (buffers.length !== 6 * headers.length) throw new Error(`histograms: ${buffers.length} buffers for ${headers.length} runs`);
  return headers.map((h, k) => {
    const [step, wall, off, left, right, count] = buffers.slice(6 * k, 6 * k + 6).map(toFloat64);
    if (step.length !== h.n || wall.length !== h.n || off.length !== h.n + 1) throw new Error(`histograms ${h.run}: bad step count`);
    if (left.length !== h.buckets || right.length !== h.buckets || count.length !== h.buckets || off[h.n] !== h.buckets) {
      throw new Error(`histograms ${h.run}: bad bucket count`);
    }
    const hists: Buckets[] = [];
    for (let i = 0; i < h.n; i++) {
      const a = off[i];
      const b = off[i + 1];
      hists.push({ left: left.subarray(a, b), right: right.subarray(a, b), count: count.subarray(a, b) });
    }
    return { run: h.run, step, wall, hists };
  });
}

function cat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export function mergeRuns(into: Map<string, RunHistograms>, add: RunHistograms[]): void {
  for (const r of add) {
    const prev = into.get(r.run);
    into.set(r.run, prev ? { run: r.run, step: cat(prev.step, r.step), wall: cat(prev.wall, r.wall), hists: [...prev.hists, ...r.hists] } : r);
  }
}

/** `unchanged`: a refresh found nothing new (`runs` is empty; keep what you have). */
type Handler = (runs: RunHistograms[], complete: boolean, unchanged: boolean) => void;

/** Request/reply bookkeeping for histograms (ids start at a random offset: several views share a model). */
export class HistRequests {
  private nextId: number;
  private pending = new Map<number, { byRun: Map<string, RunHistograms>; seen: number; cb: Handler }>();

  constructor(private send: (msg: HistogramsRequest) => void, seed = Math.random()) {
    this.nextId = 1 + Math.floor(seed * 2 ** 30);
  }

  request(tag: string, runs: string[], cb: Handler, known?: { count: number; last: number }): number {
    const id = this.nextId++;
    this.pending.set(id, { byRun: new Map(), seen: 0, cb });
    const msg: HistogramsRequest = { kind: "histograms_request", request_id: id, tag, runs };
    if (known) Object.assign(msg, { known_count: known.count, known_last: known.last });
    this.send(msg);
    return id;
  }

  cancel(id: number | null | undefined): void {
    if (id != null) this.pending.delete(id);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Returns false when `msg` is not a reply to one of our requests. */
  handle(msg: object, buffers: Buf[]): boolean {
    if ((msg as { kind?: unknown }).kind !== "histograms_reply") return false;
    const reply = msg as HistogramsReply;
    const p = this.pending.get(reply.request_id);
    if (!p) return false;
    mergeRuns(p.byRun, decodeHistograms(reply.series, buffers));
    p.seen++;
    const complete = reply.parts === undefined || p.seen >= reply.parts;
    if (complete) this.pending.delete(reply.request_id);
    p.cb([...p.byRun.values()], complete, reply.unchanged === true);
    return true;
  }
}

/** At most `max` indices of 0..n-1, evenly spread, always keeping the first and the last. */
export function sampleIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (n - 1)) / (max - 1)));
  return out;
}
