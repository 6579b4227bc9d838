/**
 * The kernel <-> browser protocol, JS side (docs/protocol.md).
 *
 * Traits hold small state; series travel as float64 buffers in custom messages.
 * This module only shapes and decodes messages: no DOM, so it is unit-tested in node.
 */

export interface ScalarsRequest {
  kind: "scalars_request";
  request_id: number;
  tag: string;
  runs: string[];
  width: number;
  smoothing: number;
  x_min: number | null;
  x_max: number | null;
}

export interface CsvRequest {
  kind: "csv_request";
  request_id: number;
  tag: string;
  runs: string[];
}

export type BrowserMessage = ScalarsRequest | CsvRequest;

export interface SeriesHeader {
  run: string;
  n: number;
  total: number;
  reduced: boolean;
  /** Not in protocol v1: lets the kernel send a 4th (smoothed) buffer for an unreduced window too. */
  smoothed?: boolean;
}

export interface ScalarsReply {
  kind: "scalars_reply";
  request_id: number;
  tag: string;
  series: SeriesHeader[];
  /** Optional part counter; v1 kernels omit it and each part is merged as it arrives. */
  part?: number;
  parts?: number;
}

export interface ScalarsAppend {
  kind: "scalars_append";
  tag: string;
  series: { run: string; n: number; reset: boolean }[];
}

export interface CsvReply {
  kind: "csv_reply";
  request_id: number;
  filename: string;
}

export type KernelMessage = ScalarsReply | ScalarsAppend | CsvReply;

/** One run's points, decoded. `smoothed` is null when JS must smooth the values itself. */
export interface Series {
  run: string;
  step: Float64Array;
  wall: Float64Array;
  value: Float64Array;
  smoothed: Float64Array | null;
  total: number;
  reduced: boolean;
}

/**
 * float64 view of a buffer. Widget buffers arrive as DataViews whose byteOffset may not
 * be a multiple of 8, and Float64Array refuses those: copy the bytes out in that case.
 */
export function toFloat64(buf: DataView | ArrayBuffer | ArrayBufferView): Float64Array {
  if (buf instanceof ArrayBuffer) return new Float64Array(buf.slice(0, buf.byteLength - (buf.byteLength % 8)));
  const { buffer, byteOffset, byteLength } = buf;
  const n = Math.floor(byteLength / 8);
  if (byteOffset % 8 === 0) return new Float64Array(buffer, byteOffset, n);
  return new Float64Array(buffer.slice(byteOffset, byteOffset + n * 8));
}

function isSeriesHeader(s: unknown): s is { run: string; n: number } {
  return typeof s === "object" && s !== null && typeof (s as { run: unknown }).run === "string";
}

/**
 * Splits a message's buffers into series: 3 buffers each (step, wall_time, value), plus a
 * 4th (smoothed) for reduced series. Throws when the buffer count does not add up,
 * because a shifted layout would silently plot wall times as values.
 */
export function decodeSeries(
  headers: (SeriesHeader | { run: string; n: number })[],
  buffers: (DataView | ArrayBuffer | ArrayBufferView)[],
): Series[] {
  const out: Series[] = [];
  let b = 0;
  for (const h of headers) {
    if (!isSeriesHeader(h)) throw new Error("bad series header");
    const full = h as Partial<SeriesHeader> & { run: string; n: number };
    const reduced = full.reduced === true;
    const hasSmoothed = reduced || full.smoothed === true;
    const need = hasSmoothed ? 4 : 3;
    if (b + need > buffers.length) throw new Error(`series ${h.run}: missing buffers`);
    const step = toFloat64(buffers[b]);
    const wall = toFloat64(buffers[b + 1]);
    const value = toFloat64(buffers[b + 2]);
    const smoothed = hasSmoothed ? toFloat64(buffers[b + 3]) : null;
    b += need;
    if (step.length !== h.n || wall.length !== h.n || value.length !== h.n || (smoothed && smoothed.length !== h.n)) {
      throw new Error(`series ${h.run}: expected ${h.n} points`);
    }
    out.push({ run: h.run, step, wall, value, smoothed, total: full.total ?? h.n, reduced });
  }
  if (b !== buffers.length) throw new Error(`${buffers.length - b} unexpected buffers`);
  return out;
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Appends `b`'s points after `a`'s (same run): used for multi-part replies and appends. */
export function concatSeries(a: Series, b: Series): Series {
  const smoothed = a.smoothed && b.smoothed ? concat(a.smoothed, b.smoothed) : null;
  return {
    run: a.run,
    step: concat(a.step, b.step),
    wall: concat(a.wall, b.wall),
    value: concat(a.value, b.value),
    smoothed,
    total: Math.max(a.total, b.total),
    reduced: a.reduced || b.reduced,
  };
}

/**
 * Applies a `scalars_append` entry. `reset` means the run lost points (a restarted run
 * purged them), so the new points replace the old ones instead of extending them.
 */
export function applyAppend(existing: Series | undefined, add: Series, reset: boolean): Series {
  if (!existing || reset) return { ...add, total: add.step.length };
  const merged = concatSeries({ ...existing, smoothed: null }, { ...add, smoothed: null });
  merged.total = existing.total + add.step.length;
  return merged;
}

/** Merges the parts of one reply by run, keeping runs in order of first appearance. */
export class ReplyAccumulator {
  private byRun = new Map<string, Series>();
  partsSeen = 0;

  add(series: Series[]): Series[] {
    this.partsSeen++;
    for (const s of series) {
      const prev = this.byRun.get(s.run);
      this.byRun.set(s.run, prev ? concatSeries(prev, s) : s);
    }
    return this.series();
  }

  series(): Series[] {
    return [...this.byRun.values()];
  }
}

type ReplyHandler = (series: Series[], reply: ScalarsReply) => void;

interface Pending {
  acc: ReplyAccumulator;
  onReply?: ReplyHandler;
  onCsv?: (reply: CsvReply, data: DataView | ArrayBuffer | ArrayBufferView) => void;
}

/**
 * Request/reply bookkeeping over `model.send` / `msg:custom`. Replies carry the request_id;
 * a split reply calls the handler again with everything merged so far, so charts fill in
 * progressively. Several views of one model all receive every reply, so ids start at a
 * random offset and unknown ids are ignored.
 */
export class Requests {
  private nextId: number;
  private pending = new Map<number, Pending>();

  constructor(private send: (msg: BrowserMessage) => void, seed = Math.random()) {
    this.nextId = 1 + Math.floor(seed * 2 ** 30);
  }

  scalars(req: Omit<ScalarsRequest, "kind" | "request_id">, onReply: ReplyHandler): number {
    const id = this.nextId++;
    this.pending.set(id, { acc: new ReplyAccumulator(), onReply });
    this.send({ kind: "scalars_request", request_id: id, ...req });
    return id;
  }

  csv(tag: string, runs: string[]): Promise<{ filename: string; data: DataView | ArrayBuffer | ArrayBufferView }> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, {
        acc: new ReplyAccumulator(),
        onCsv: (reply, data) => resolve({ filename: reply.filename, data }),
      });
      this.send({ kind: "csv_request", request_id: id, tag, runs });
    });
  }

  /** Forget a request whose answer is no longer wanted (superseded or view closed). */
  cancel(id: number | null | undefined): void {
    if (id != null) this.pending.delete(id);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Routes a kernel message; returns false when it is not a reply to one of our requests. */
  handle(msg: KernelMessage, buffers: (DataView | ArrayBuffer | ArrayBufferView)[]): boolean {
    if (msg.kind !== "scalars_reply" && msg.kind !== "csv_reply") return false;
    const p = this.pending.get(msg.request_id);
    if (!p) return false;
    if (msg.kind === "csv_reply") {
      this.pending.delete(msg.request_id);
      p.onCsv?.(msg, buffers[0] ?? new ArrayBuffer(0));
      return true;
    }
    const merged = p.acc.add(decodeSeries(msg.series, buffers));
    // The entry stays for later parts unless the kernel said this was the last one.
    if (msg.parts !== undefined && p.acc.partsSeen >= msg.parts) this.pending.delete(msg.request_id);
    p.onReply?.(merged, msg);
    return true;
  }
}

/** Event callbacks get event-specific arguments (msg:custom: content and buffers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Callback = (...args: any[]) => void;

/** The part of the anywidget model API nbtb uses (AFM: works in Jupyter, VS Code, marimo). */
export interface Model {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: Callback): void;
  off(event: string, cb?: Callback): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

/** A binary buffer as a message carries it (anywidget hands DataViews to JS). */
export type Buf = DataView | ArrayBuffer | ArrayBufferView;
