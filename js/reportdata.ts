/**
 * The kernel's half of docs/protocol.md, answered from a report's embedded data (nbtb/report.py).
 *
 * Scalars are embedded once per (tag, run) (already reduced per pixel column when longer than the
 * export cap) and every `scalars_request` is answered here the way the kernel answers it
 * (nbtb/widgets/dashboard.py `_prepare`): cut to the zoomed step range with one neighbour each
 * side, reduced per pixel column when longer than the card can show, and smoothed over the whole
 * embedded series when reduced or zoomed (`smoothReduced` when reduced at export). Histograms,
 * media steps and the HParams table were
 * recorded from the kernel's own reply builders at export. No DOM here: unit-tested in node.
 */
import type { Buf } from "./protocol";
import { gather, reduceIndices } from "./reduce";
import { smooth } from "./smoothing";

/** `[byte offset, byte length, stored dtype]` into the decompressed blob. */
export type Ref = [number, number, "f8" | "f4" | "i4" | "u1"];

export interface ReportIndex {
  /** tag, run, total, step, wall_time, value[, gaps, gap means]: the last two when reduced at export. */
  scalars?: ([string, string, number, Ref, Ref, Ref] | [string, string, number, Ref, Ref, Ref, Ref, Ref])[];
  histograms?: [string, string, number, number, Ref[]][];
  media?: [string, string, string, number[], number[], [number, unknown[], Ref[]][]][];
  hparams?: { columns: unknown[]; rows: unknown[] } | null;
  traits?: Record<string, unknown>;
}

export interface StoredScalars {
  step: Float64Array;
  wall: Float64Array;
  value: Float64Array;
  /** Points in the logged series (more than `step.length` when reduced at export). */
  total: number;
  /** Reduced at export: logged points each kept one stands for, and the mean of the dropped ones. */
  gaps?: Float64Array;
  means?: Float64Array;
}

export interface StoredMedia {
  steps: number[];
  walls: number[];
  byStep: Map<number, { items: unknown[]; buffers: DataView[] }>;
}

export interface ReportData {
  scalars: Map<string, Map<string, StoredScalars>>;
  histograms: Map<string, Map<string, { n: number; buckets: number; arrays: Float64Array[] }>>;
  media: Map<string, StoredMedia>;
  hparams: { columns: unknown[]; rows: unknown[] } | null;
}

export type Reply = [Record<string, unknown>, Buf[]];

/** Undoes nbtb/report.py's byte shuffle: `width`-byte numbers stored as byte planes. */
export function unshuffle(src: Uint8Array, width: number): ArrayBuffer {
  const m = Math.floor(src.length / width);
  const out = new Uint8Array(m * width);
  for (let j = 0; j < width; j++) {
    const plane = j * m;
    for (let i = 0; i < m; i++) out[i * width + j] = src[plane + i];
  }
  return out.buffer;
}

/** A stored numeric array (byte-shuffled int32/float32/float64) as float64. */
export function floats(blob: ArrayBuffer, [offset, length, kind]: Ref): Float64Array {
  if (offset < 0 || offset + length > blob.byteLength) throw new Error("report data: reference out of range");
  const src = new Uint8Array(blob, offset, length);
  if (kind === "f8") return new Float64Array(unshuffle(src, 8));
  if (kind === "f4") return Float64Array.from(new Float32Array(unshuffle(src, 4)));
  if (kind === "i4") return Float64Array.from(new Int32Array(unshuffle(src, 4)));
  return Float64Array.from(src);
}

function bytes(blob: ArrayBuffer, [offset, length]: Ref): DataView {
  if (offset < 0 || offset + length > blob.byteLength) throw new Error("report data: reference out of range");
  return new DataView(blob, offset, length);
}

const mediaKey = (plugin: string, tag: string, run: string) => JSON.stringify([plugin, tag, run]);

function nested<V>(m: Map<string, Map<string, V>>, a: string): Map<string, V> {
  let inner = m.get(a);
  if (!inner) m.set(a, (inner = new Map()));
  return inner;
}

/** The index and blob as lookup tables (Maps: tag and run names are untrusted text). */
export function unpack(index: ReportIndex, blob: ArrayBuffer): ReportData {
  const data: ReportData = { scalars: new Map(), histograms: new Map(), media: new Map(), hparams: index.hparams ?? null };
  for (const [tag, run, total, s, w, v, gaps, means] of index.scalars ?? []) {
    const stored: StoredScalars = { step: floats(blob, s), wall: floats(blob, w), value: floats(blob, v), total };
    if (gaps && means) {
      stored.gaps = floats(blob, gaps);
      stored.means = floats(blob, means);
    }
    nested(data.scalars, tag).set(run, stored);
  }
  for (const [tag, run, n, buckets, refs] of index.histograms ?? []) {
    nested(data.histograms, tag).set(run, { n, buckets, arrays: refs.map((r) => floats(blob, r)) });
  }
  for (const [plugin, tag, run, steps, walls, recorded] of index.media ?? []) {
    const byStep = new Map<number, { items: unknown[]; buffers: DataView[] }>();
    for (const [step, items, refs] of recorded) byStep.set(step, { items, buffers: refs.map((r) => bytes(blob, r)) });
    data.media.set(mediaKey(plugin, tag, run), { steps, walls, byStep });
  }
  return data;
}

const view = (a: Float64Array): DataView => new DataView(a.buffer, a.byteOffset, a.byteLength);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * TensorBoard's smoothing of a series that was reduced at export, evaluated at the kept points.
 *
 * Smoothing only the kept points would smooth over `total / n` times too long a window (at 0.99,
 * ~100 kept points = thousands of logged ones). Each kept point instead stands for `k` logged
 * points (`gaps`): itself, weighted `1 - w` as in TensorBoard, and the `k - 1` dropped before it,
 * whose weights `w - w^k` go to their mean (`means`), while the average decays by `w^k` and the
 * debiasing count grows by `k`. Exact when the dropped points equal their mean; within a few
 * percent of the noise amplitude otherwise (tests/js/reportdata.test.ts). Without gap data (or a
 * series that was not reduced) it is TensorBoard's formula on the points as they are.
 */
export function smoothReduced(s: StoredScalars, weight: number): Float64Array {
  const n = s.step.length;
  if (!s.gaps || !s.means || s.gaps.length !== n || s.means.length !== n) return smooth(s.value, weight);
  const out = new Float64Array(n);
  const w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 1);
  let allEqual = true;
  for (let i = 0; i < n; i++) if (!(s.value[i] === s.value[0])) allEqual = false;
  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const y = s.value[i];
    if (allEqual || !Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    const k = Math.max(1, s.gaps[i]);
    const decay = Math.pow(w, k);
    const m = Number.isFinite(s.means[i]) ? s.means[i] : y;
    last = last * decay + (1 - w) * y + (w - decay) * m;
    count += k;
    out[i] = w === 1 ? last : last / (1 - Math.pow(w, count));
  }
  return out;
}

/** One run's reply series, as the kernel's `_prepare` builds it. */
export function prepare(
  s: StoredScalars,
  width: number,
  weight: number,
  xMin: number | null,
  xMax: number | null,
): { header: Record<string, unknown>; arrays: Float64Array[] } {
  const n = s.step.length;
  let idx: Uint32Array;
  if (xMin !== null || xMax !== null) {
    const inside = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = s.step[i];
      if ((xMin === null || x >= xMin) && (xMax === null || x <= xMax)) inside[i] = 1;
    }
    // one neighbour each side, so lines run to the edges of a zoomed chart
    const grown = new Uint8Array(n);
    for (let i = 0; i < n; i++) grown[i] = inside[i] | (i > 0 ? inside[i - 1] : 0) | (i + 1 < n ? inside[i + 1] : 0);
    const list: number[] = [];
    for (let i = 0; i < n; i++) if (grown[i]) list.push(i);
    idx = Uint32Array.from(list);
  } else {
    idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
  }
  const total = idx.length;
  const windowed = total < n;
  // `total` counts the points the report holds in the range.
  const head = (count: number, reduced: boolean, smoothed: boolean) => ({ n: count, total, reduced, smoothed });
  // A series reduced at export always carries its smoothing: the browser would smooth the kept
  // points as if they were consecutive.
  const full = () => (s.total > n ? smoothReduced(s, weight) : smooth(s.value, weight));
  if (total <= 4 * Math.max(1, Math.floor(width))) {
    const arrays = [gather(s.step, idx), gather(s.wall, idx), gather(s.value, idx)];
    if (!windowed && s.total <= n) return { header: head(total, false, false), arrays };
    // A zoomed window carries the whole series' smoothing: restarting it at the edge would bend it.
    return { header: head(total, false, true), arrays: [...arrays, gather(full(), idx)] };
  }
  const sx = gather(s.step, idx);
  const sy = gather(s.value, idx);
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of sx) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const local = reduceIndices(sx, sy, lo, hi, width);
  const keep = gather(idx, local);
  return {
    header: head(keep.length, true, true),
    arrays: [gather(s.step, keep), gather(s.wall, keep), gather(s.value, keep), gather(full(), keep)],
  };
}

/** The kernel's CSV file name rule (nbtb/widgets/messages.py csv_filename; card.ts fileStem). */
export function csvFilename(tag: string): string {
  return `${tag.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+|[._]+$/g, "") || "scalars"}.csv`;
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function csvNumber(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return String(v);
}

/** `run,tag,step,wall_time,value` of the embedded points (the reduced ones when reduced at export). */
export function csvText(data: ReportData, tag: string, runs: string[]): string {
  const lines = ["run,tag,step,wall_time,value"];
  const byRun = data.scalars.get(tag);
  for (const run of runs) {
    const s = byRun?.get(run);
    if (!s) continue;
    for (let i = 0; i < s.step.length; i++) {
      lines.push([csvCell(run), csvCell(tag), String(Math.round(s.step[i])), csvNumber(s.wall[i]), csvNumber(s.value[i])].join(","));
    }
  }
  return lines.join("\n") + "\n";
}

/** The replies the kernel would send to `content` (docs/protocol.md), from the embedded data. */
export function answer(data: ReportData, content: unknown, state: Map<string, unknown>): Reply[] {
  if (!content || typeof content !== "object") return [];
  const req = content as Record<string, unknown>;
  const request_id = Number(req.request_id ?? 0);
  const tag = String(req.tag ?? "");
  switch (req.kind) {
    case "scalars_request": {
      const width = Math.min(Math.max(Number(req.width) || 800, 16), 20000);
      const weight = num(req.smoothing) ?? Number(state.get("smoothing") ?? 0.6);
      const byRun = data.scalars.get(tag);
      const series: Record<string, unknown>[] = [];
      const buffers: Buf[] = [];
      for (const run of strings(req.runs)) {
        const s = byRun?.get(run);
        if (!s) continue;
        const { header, arrays } = prepare(s, width, weight, num(req.x_min), num(req.x_max));
        series.push({ run, ...header });
        buffers.push(...arrays.map(view));
      }
      return [[{ kind: "scalars_reply", request_id, tag, series, part: 0, parts: 1 }, buffers]];
    }
    case "csv_request": {
      const text = new TextEncoder().encode(csvText(data, tag, strings(req.runs)));
      return [[{ kind: "csv_reply", request_id, filename: csvFilename(tag) }, [new DataView(text.buffer)]]];
    }
    case "histograms_request": {
      const byRun = data.histograms.get(tag);
      const series: Record<string, unknown>[] = [];
      const buffers: Buf[] = [];
      for (const run of strings(req.runs)) {
        const h = byRun?.get(run);
        if (!h) continue;
        series.push({ run, n: h.n, buckets: h.buckets });
        buffers.push(...h.arrays.map(view));
      }
      return [[{ kind: "histograms_reply", request_id, tag, series, part: 0, parts: 1 }, buffers]];
    }
    case "media_request": {
      const plugin = String(req.plugin ?? "");
      const run = String(req.run ?? "");
      const m = data.media.get(mediaKey(plugin, tag, run));
      const base = { kind: "media_reply", request_id, plugin, tag, run };
      if (!m || m.steps.length === 0) return [[{ ...base, steps: [], wall_times: [], step: null, items: [] }, []]];
      // null = the newest step; another step snaps to the nearest one kept in the report
      const want = num(req.step);
      let chosen = m.steps[m.steps.length - 1];
      if (want !== null) {
        for (const s of m.steps) if (Math.abs(s - want) < Math.abs(chosen - want)) chosen = s;
      }
      const head = { ...base, steps: m.steps, wall_times: m.walls, step: chosen };
      const knownLast = num(req.known_last);
      if (knownLast === m.steps[m.steps.length - 1] && num(req.known_count) === m.steps.length) {
        return [[{ ...head, items: [], unchanged: true }, []]];
      }
      const at = m.byStep.get(chosen);
      return [[{ ...head, items: at?.items ?? [] }, at?.buffers ?? []]];
    }
    case "hparams_request":
      return [[{ kind: "hparams_reply", request_id, columns: data.hparams?.columns ?? [], rows: data.hparams?.rows ?? [] }, []]];
    default:
      return [];
  }
}
