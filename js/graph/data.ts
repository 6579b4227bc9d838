/**
 * The graph as it arrives from the kernel (docs/protocol.md, "graph_reply"): one UTF-8 JSON buffer
 * of columns. Decoding checks the column lengths, because a shifted column would silently pair
 * node names with the wrong ops.
 */
import type { Buf } from "../protocol";

export interface GraphData {
  name: string[];
  op: string[];
  device: string[];
  shape: (string | null)[];
  attrs: Record<string, string>[];
  /** Edge endpoints are indices into the node columns. */
  src: number[];
  dst: number[];
  control: boolean[];
  edgeShape: (string | null)[];
}

interface Wire {
  nodes: { name: string[]; op: string[]; device: number[]; devices: string[]; shape: (string | null)[]; attrs: Record<string, string>[] };
  edges: { src: number[]; dst: number[]; control: number[]; shape: (string | null)[] };
}

function bytesOf(buf: Buf): Uint8Array {
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Columns from the wire's JSON object (also used by tests, which build it by hand). */
export function fromWire(w: Wire): GraphData {
  const n = w.nodes.name.length;
  const m = w.edges.src.length;
  for (const k of ["op", "device", "shape", "attrs"] as const) {
    if (w.nodes[k].length !== n) throw new Error(`graph: nodes.${k} has ${w.nodes[k].length} entries, expected ${n}`);
  }
  for (const k of ["dst", "control", "shape"] as const) {
    if (w.edges[k].length !== m) throw new Error(`graph: edges.${k} has ${w.edges[k].length} entries, expected ${m}`);
  }
  for (let i = 0; i < m; i++) {
    const s = w.edges.src[i];
    const d = w.edges.dst[i];
    if (!(s >= 0 && s < n && d >= 0 && d < n)) throw new Error(`graph: edge ${i} points outside the ${n} nodes`);
  }
  return {
    name: w.nodes.name,
    op: w.nodes.op,
    device: w.nodes.device.map((d) => w.nodes.devices[d] ?? ""),
    shape: w.nodes.shape,
    attrs: w.nodes.attrs,
    src: w.edges.src,
    dst: w.edges.dst,
    control: w.edges.control.map((c) => c === 1),
    edgeShape: w.edges.shape,
  };
}

export function decodeGraph(buf: Buf): GraphData {
  return fromWire(JSON.parse(new TextDecoder("utf-8").decode(bytesOf(buf))) as Wire);
}

/** Builds columns from plain objects (tests and small fixtures). */
export function graphOf(
  nodes: { name: string; op?: string; device?: string; shape?: string | null; attrs?: Record<string, string> }[],
  edges: { src: string; dst: string; control?: boolean; shape?: string | null }[] = [],
): GraphData {
  const at = new Map(nodes.map((n, i) => [n.name, i]));
  const idx = (name: string) => {
    const i = at.get(name);
    if (i === undefined) throw new Error(`no node ${name}`);
    return i;
  };
  return {
    name: nodes.map((n) => n.name),
    op: nodes.map((n) => n.op ?? "Op"),
    device: nodes.map((n) => n.device ?? ""),
    shape: nodes.map((n) => n.shape ?? null),
    attrs: nodes.map((n) => n.attrs ?? {}),
    src: edges.map((e) => idx(e.src)),
    dst: edges.map((e) => idx(e.dst)),
    control: edges.map((e) => e.control === true),
    edgeShape: edges.map((e) => e.shape ?? null),
  };
}
