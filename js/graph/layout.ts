/**
 * Lays out what is visible: the root's children, and inside every expanded group its own
 * children, one dagre job per group (js/graph/layoutcore.ts). Results are cached per group, so
 * expanding a scope lays out only that scope and the groups around it, not the whole graph.
 * Jobs run in a Web Worker made from the bundled layout script; where the host refuses workers
 * (a strict CSP), the same script runs on the main thread.
 */
import type { GNode, Hierarchy } from "./hierarchy";
import type { Job, JobNode, JobResult } from "./layoutcore";

/** The layout bundle's text, put here by build.mjs (undefined in unit tests). */
declare const __NBTB_LAYOUT_SRC__: string | undefined;

export type Engine = ((jobs: Job[], known: Record<string, JobResult>) => Promise<{ results: JobResult[]; where: string }>) & {
  /** Ends the worker and frees the script's Blob URL (the view is gone). */
  dispose?: () => void;
};

const CHAR = 6.6; // px per character of the 11px labels, for sizing boxes before drawing them

/** The size a node is drawn at when collapsed. */
export function collapsedSize(n: GNode): { w: number; h: number } {
  const label = Math.min(n.label.length, 28) * CHAR;
  if (n.kind === "op") return { w: Math.max(40, label + 20), h: 22 };
  if (n.kind === "series") return { w: Math.max(70, label + 34), h: 34 };
  return { w: Math.max(70, label + (n.templateCount > 1 ? 56 : 30)), h: 34 };
}

/** Groups to lay out, children first: the root and each visible expanded group. */
export function visibleGroups(root: GNode, expanded: Set<string>): GNode[] {
  const out: GNode[] = [];
  const walk = (n: GNode) => {
    for (const c of n.children) if (c.kind !== "op" && expanded.has(c.id)) walk(c);
    out.push(n);
  };
  walk(root);
  return out;
}

/** Ids of the two points an open group's bridge edges start from and end at (not node names). */
export const BRIDGE_IN = "\u0000in";
export const BRIDGE_OUT = "\u0000out";

export function jobFor(n: GNode, expanded: Set<string>): Job {
  const nodes: JobNode[] = n.children.map((c) => {
    const size = collapsedSize(c);
    const open = c.kind !== "op" && expanded.has(c.id);
    // An expanded child already laid out is sent with its result (as `known`), else computed first.
    return open ? { id: c.id, ...size, sub: c.id } : { id: c.id, ...size };
  });
  const edges = [...n.edges.values()].map((e) => ({ v: e.src.id, w: e.dst.id }));
  // Bridges: dagre puts the entry point below the children it feeds and the exit above (BT).
  if (n.bridgeIn.size) {
    nodes.push({ id: BRIDGE_IN, w: 1, h: 1 });
    for (const c of n.bridgeIn.keys()) edges.push({ v: BRIDGE_IN, w: c.id });
  }
  if (n.bridgeOut.size) {
    nodes.push({ id: BRIDGE_OUT, w: 1, h: 1 });
    for (const c of n.bridgeOut.keys()) edges.push({ v: c.id, w: BRIDGE_OUT });
  }
  return { id: n.id, nodes, edges };
}

export class Layouts {
  readonly cache = new Map<string, JobResult>();
  lastWhere = "";
  lastJobs = 0;

  constructor(private engine: Engine) {}

  private warmed = false;

  dispose(): void {
    this.engine.dispose?.();
    this.cache.clear();
  }

  /** Starts the layout script (Worker and dagre parsed) while the graph is still on its way. */
  warm(): void {
    if (this.warmed) return;
    this.warmed = true;
    this.engine([], {}).catch(() => {});
  }

  /** Opens group `n`: its own layout may come from the cache, its ancestors' change size. */
  open(n: GNode, expanded: Set<string>): void {
    expanded.add(n.id);
    this.invalidate(n.parent);
  }

  /**
   * Closes group `n` and every group open inside it (reopening shows it as first seen). Layouts
   * made while those were open no longer hold: forget them, and `n`'s if it had any open inside.
   */
  close(n: GNode, expanded: Set<string>): void {
    expanded.delete(n.id);
    let inner = false;
    const walk = (m: GNode) => {
      for (const c of m.children) {
        if (c.kind === "op") continue;
        if (expanded.delete(c.id)) {
          inner = true;
          this.cache.delete(c.id);
        }
        walk(c);
      }
    };
    walk(n);
    if (inner) this.cache.delete(n.id);
    this.invalidate(n.parent);
  }

  /** Forget a group's layout and its ancestors' (their sizes change with it). */
  invalidate(n: GNode | null): void {
    for (let p = n; p; p = p.parent) this.cache.delete(p.id);
  }

  /** Lays out what is missing for this expansion; returns every visible group's layout. */
  async layout(h: Hierarchy, expanded: Set<string>): Promise<Map<string, JobResult>> {
    const groups = visibleGroups(h.root, expanded);
    const jobs = groups.filter((g) => !this.cache.has(g.id)).map((g) => jobFor(g, expanded));
    this.lastJobs = jobs.length;
    if (jobs.length) {
      const need = new Set(jobs.flatMap((j) => j.nodes.filter((x) => x.sub).map((x) => x.sub as string)));
      const known: Record<string, JobResult> = {};
      for (const id of need) {
        const r = this.cache.get(id);
        if (r) known[id] = r;
      }
      const { results, where } = await this.engine(jobs, known);
      this.lastWhere = where;
      for (const r of results) this.cache.set(r.id, r);
    }
    return new Map(groups.map((g) => [g.id, this.cache.get(g.id) as JobResult]));
  }
}

/** Engine on the bundled layout script: a module Worker when allowed, else the main thread. */
export function bundledEngine(): Engine {
  const src = typeof __NBTB_LAYOUT_SRC__ === "string" ? __NBTB_LAYOUT_SRC__ : "";
  let url = "";
  let worker: Worker | null = null;
  let workerBroken = false;
  let seq = 0;
  const pending = new Map<number, { resolve: (r: JobResult[]) => void; reject: (e: Error) => void }>();
  let mainModule: Promise<{ runJobs: (jobs: Job[], known: Record<string, JobResult>) => JobResult[] }> | null = null;

  const blobUrl = () => {
    if (!src) throw new Error("nbtb: the graph layout script is not bundled (npm run build)");
    if (!url) url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    return url;
  };
  const onMain = async (jobs: Job[], known: Record<string, JobResult>) => {
    mainModule ??= import(/* @vite-ignore */ blobUrl());
    return (await mainModule).runJobs(jobs, known);
  };
  const breakWorker = (why: string) => {
    if (workerBroken) return;
    workerBroken = true;
    console.warn(`nbtb: graph layout runs on the main thread (${why})`);
    worker?.terminate();
    worker = null;
    for (const p of pending.values()) p.reject(new Error("worker failed"));
    pending.clear();
  };
  const getWorker = (): Worker | null => {
    if (workerBroken) return null;
    if (worker) return worker;
    try {
      worker = new Worker(blobUrl(), { type: "module" });
    } catch (err) {
      breakWorker(String(err));
      return null;
    }
    worker.onmessage = (ev: MessageEvent<{ seq: number; results?: JobResult[]; error?: string }>) => {
      const p = pending.get(ev.data.seq);
      if (!p) return;
      pending.delete(ev.data.seq);
      if (ev.data.error) p.reject(new Error(ev.data.error));
      else p.resolve(ev.data.results ?? []);
    };
    worker.onerror = (ev) => breakWorker(ev.message || "worker error");
    return worker;
  };
  const engine: Engine = async (jobs, known) => {
    const w = getWorker();
    if (w) {
      try {
        const id = ++seq;
        const results = await new Promise<JobResult[]>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          w.postMessage({ seq: id, jobs, known });
        });
        return { results, where: "worker" };
      } catch (err) {
        if (!workerBroken) throw err; // a layout error, not a refused worker
      }
    }
    return { results: await onMain(jobs, known), where: "main" };
  };
  engine.dispose = () => {
    workerBroken = true; // no new worker after this
    worker?.terminate();
    worker = null;
    for (const p of pending.values()) p.reject(new Error("graph view closed"));
    pending.clear();
    if (url) URL.revokeObjectURL(url);
    url = "";
  };
  return engine;
}
