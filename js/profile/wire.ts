/**
 * Decodes `profile_reply` messages (docs/protocol.md, "Profile tab") into one ProfileData.
 *
 * Part 0 carries the header (lanes, names, categories, steps, memory stats, overview) and the
 * full length and dtype of every column; every part lists its buffers as column slices, so each
 * column is allocated once and filled in place, whatever order the parts arrive in. No DOM.
 */
import type { Buf } from "../protocol";

export interface Lane {
  pid: number | string;
  tid: number | string;
  process: string;
  thread: string;
  /** Rows (nesting levels) this lane needs. */
  depth: number;
}

export interface Step {
  step: number;
  start: number;
  end: number;
}

export interface ProfileHeader {
  run: string;
  session: string;
  n: number;
  /** Absolute µs of the first event: every `start` is relative to it. */
  t0: number;
  span: number;
  lanes: Lane[];
  names: string[];
  cats: string[];
  steps: Step[];
  memory: { n: number; total: number; devices: string[]; max_allocated?: number; max_reserved?: number | null };
  overview: Record<string, unknown> | null;
  error: string | null;
}

type Dtype = "f64" | "f32" | "u32" | "u16" | "u8";
type Column = Float64Array | Float32Array | Uint32Array | Uint16Array | Uint8Array;

/** One event per index, in drawing order: by lane, then depth, then start. Times in µs. */
export interface ProfileData extends ProfileHeader {
  start: Float64Array;
  dur: Float64Array;
  self: Float32Array;
  /** u8, u16 or u32: the narrowest the kernel found for the lane / name count. */
  lane: Uint8Array | Uint16Array | Uint32Array;
  depth: Uint8Array;
  name: Uint8Array | Uint16Array | Uint32Array;
  cat: Uint8Array;
  memTs: Float64Array;
  memAllocated: Float64Array;
  memReserved: Float64Array;
}

export interface BufferSlice {
  column: string;
  dtype: Dtype;
  offset: number;
  n: number;
}

export interface ProfileReply extends Partial<ProfileHeader> {
  kind: "profile_reply";
  request_id: number;
  part: number;
  parts: number;
  buffers: BufferSlice[];
  columns?: Record<string, { dtype: Dtype; n: number }>;
}

const CTORS = {
  f64: Float64Array,
  f32: Float32Array,
  u32: Uint32Array,
  u16: Uint16Array,
  u8: Uint8Array,
} as const;

/** A typed-array copy of a buffer's bytes (widget DataViews may be unaligned for their dtype). */
export function typed(buf: Buf, dtype: Dtype): Column {
  const C = CTORS[dtype];
  const bytes =
    buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Math.floor(bytes.byteLength / C.BYTES_PER_ELEMENT);
  if (bytes.byteOffset % C.BYTES_PER_ELEMENT === 0) return new C(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  return new C(bytes.slice(0, n * C.BYTES_PER_ELEMENT).buffer);
}

/** Collects the parts of one reply; `add` returns the profile once every part is in. */
export class ProfileAssembler {
  private header: ProfileReply | null = null;
  private cols = new Map<string, Column>();
  private pending: { msg: ProfileReply; buffers: Buf[] }[] = [];
  private seen = new Set<number>();
  parts = 0;

  add(msg: ProfileReply, buffers: Buf[]): ProfileData | null {
    if (!Array.isArray(msg.buffers) || msg.buffers.length !== buffers.length) {
      throw new Error(`profile_reply part ${msg.part}: ${buffers.length} buffers, header lists ${msg.buffers?.length}`);
    }
    this.parts = msg.parts;
    this.seen.add(msg.part);
    if (msg.part === 0) {
      this.header = msg;
      for (const [name, c] of Object.entries(msg.columns ?? {})) this.cols.set(name, new CTORS[c.dtype](c.n));
      this.fill(msg, buffers);
      for (const p of this.pending) this.fill(p.msg, p.buffers);
      this.pending = [];
    } else if (this.header) this.fill(msg, buffers);
    else this.pending.push({ msg, buffers });
    return this.header && this.seen.size >= this.parts ? this.result() : null;
  }

  private fill(msg: ProfileReply, buffers: Buf[]): void {
    msg.buffers.forEach((s, i) => {
      const col = this.cols.get(s.column);
      if (!col) throw new Error(`profile_reply: unknown column ${s.column}`);
      const src = typed(buffers[i], s.dtype);
      if (src.length !== s.n || s.offset + s.n > col.length) throw new Error(`profile_reply: column ${s.column} slice out of range`);
      (col as Float64Array).set(src as unknown as Float64Array, s.offset);
    });
  }

  private result(): ProfileData {
    const h = this.header as ProfileReply;
    const n = h.n ?? 0;
    const col = <T extends Column>(name: string, C: { new (n: number): T }, len = n): T => (this.cols.get(name) as T) ?? new C(len);
    const data: ProfileData = {
      run: h.run ?? "",
      session: h.session ?? "",
      n,
      t0: h.t0 ?? 0,
      span: h.span ?? 0,
      lanes: h.lanes ?? [],
      names: h.names ?? [],
      cats: h.cats ?? [],
      steps: h.steps ?? [],
      memory: h.memory ?? { n: 0, total: 0, devices: [] },
      overview: h.overview ?? null,
      error: h.error ?? null,
      start: col("start", Float64Array),
      dur: col("dur", Float64Array),
      self: col("self", Float32Array),
      lane: (this.cols.get("lane") as Uint8Array | Uint16Array | Uint32Array) ?? new Uint16Array(n),
      depth: col("depth", Uint8Array),
      name: (this.cols.get("name") as Uint8Array | Uint16Array | Uint32Array) ?? new Uint32Array(n),
      cat: col("cat", Uint8Array),
      memTs: col("mem_ts", Float64Array, 0),
      memAllocated: col("mem_allocated", Float64Array, 0),
      memReserved: col("mem_reserved", Float64Array, 0),
    };
    for (const k of ["start", "dur", "self", "lane", "depth", "name", "cat"] as const) {
      if (data[k].length !== n) throw new Error(`profile_reply: column ${k} has ${data[k].length} values, expected ${n}`);
    }
    return data;
  }
}
