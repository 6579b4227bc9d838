/**
 * dagre over one group at a time (TB lays out each expanded metanode's children inside it):
 * the jobs come children first, and a node that is itself an expanded group takes the size of
 * that group's finished layout. No DOM: runs in a Web Worker or on the main thread alike.
 */
import { graphlib, layout } from "@dagrejs/dagre";

export interface JobNode {
  id: string;
  w: number;
  h: number;
  /** An expanded group laid out by the job of this id (earlier in the list): its size wins. */
  sub?: string;
}

export interface Job {
  id: string;
  nodes: JobNode[];
  edges: { v: string; w: string }[];
}

export interface Box {
  x: number; // centre, like dagre
  y: number;
  w: number;
  h: number;
}

export interface JobResult {
  id: string;
  /** Size of the laid-out contents (margins included). */
  width: number;
  height: number;
  nodes: Record<string, Box>;
  edges: { v: string; w: string; points: { x: number; y: number }[] }[];
}

/** Room around an expanded group's contents: sides and bottom, and the title bar on top. */
export const PAD = 10;
export const HEADER = 24;

export function expandedSize(r: JobResult): { w: number; h: number } {
  return { w: r.width + 2 * PAD, h: r.height + HEADER + PAD };
}

export function runJob(job: Job, done: Map<string, JobResult>): JobResult {
  const g = new graphlib.Graph({ multigraph: false, compound: false });
  // Bottom to top, as TensorBoard draws graphs: inputs at the bottom.
  g.setGraph({ rankdir: "BT", nodesep: 18, ranksep: 28, edgesep: 8, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of job.nodes) {
    const sub = n.sub ? done.get(n.sub) : undefined;
    const size = sub ? expandedSize(sub) : { w: n.w, h: n.h };
    g.setNode(n.id, { width: size.w, height: size.h });
  }
  for (const e of job.edges) if (e.v !== e.w && g.hasNode(e.v) && g.hasNode(e.w)) g.setEdge(e.v, e.w);
  layout(g);
  const nodes: Record<string, Box> = {};
  for (const id of g.nodes()) {
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    nodes[id] = { x: n.x, y: n.y, w: n.width, h: n.height };
  }
  const edges = g.edges().map((e) => ({ v: e.v, w: e.w, points: ((g.edge(e) as { points?: { x: number; y: number }[] }).points ?? []).map((p) => ({ x: p.x, y: p.y })) }));
  const gl = g.graph() as { width?: number; height?: number };
  return { id: job.id, width: Math.max(gl.width ?? 0, 40), height: Math.max(gl.height ?? 0, 20), nodes, edges };
}

export function runJobs(jobs: Job[], known: Record<string, JobResult> = {}): JobResult[] {
  const done = new Map(Object.entries(known));
  const out: JobResult[] = [];
  for (const job of jobs) {
    const r = runJob(job, done);
    done.set(job.id, r);
    out.push(r);
  }
  return out;
}
