/**
 * TensorBoard's graph hierarchy (FORMATS.md §5; TB plugins/graph/tf_graph_common/hierarchy.ts),
 * as pure functions over the decoded columns:
 * - names split on "/" give a metanode per scope ("a/b/c" lives in "a", then "a/b");
 * - an op whose name is also a scope ("a" beside "a/b") becomes "a/(a)";
 * - 5 or more siblings differing only by a number, with the same structure, become a series
 *   "pre[lo-hi]suf";
 * - inputless Const ops feeding one node and *Summary ops reading one node are embedded in that
 *   node instead of drawn;
 * - every group gets a structure hash: groups with the same internal structure (identical blocks)
 *   share a template, drawn in one colour with a "×N" badge;
 * - edges are summarised at their lowest common group, between the two children that hold their
 *   ends, with counts and shapes, so any set of expanded groups can be drawn from these summaries.
 */
import type { GraphData } from "./data";

export type GNodeKind = "meta" | "op" | "series";

export interface GEdge {
  src: GNode;
  dst: GNode;
  /** Underlying edges summarised here, data and control. */
  data: number;
  control: number;
  /** Shape label → how many data edges carry it. */
  shapes: Map<string, number>;
  /** Indices of the underlying edges (details, search). */
  edges: number[];
}

export interface GNode {
  id: string;
  /** Small integer, unique in its hierarchy: edge keys are built from it (cheaper than strings). */
  uid: number;
  label: string;
  kind: GNodeKind;
  parent: GNode | null;
  children: GNode[];
  /** Op nodes: index into the columns; groups: -1. */
  index: number;
  /** Op nodes beneath (an op node counts itself). */
  leaves: number;
  depth: number;
  /** Structure hash: equal for groups with the same internal structure. */
  hash: string;
  /** Template id shared by structurally identical groups (-1: unique), and how many share it. */
  template: number;
  templateCount: number;
  /** Op nodes: embedded Const / Summary node indices. */
  embedded: number[];
  /** Groups: edges among the children, keyed by edgeKey(src, dst). */
  edges: Map<number, GEdge>;
  /** Device → number of op nodes beneath placed there. */
  devices: Map<string, number>;
  /**
   * Groups: children that take inputs from outside the group (bridgeIn) or feed nodes outside it
   * (bridgeOut), with edge counts. An open group draws these as short edges from and to its border,
   * as TensorBoard's bridge edges, so one sees which inner node an outside edge reaches.
   */
  bridgeIn: Map<GNode, number>;
  bridgeOut: Map<GNode, number>;
}

export interface Hierarchy {
  root: GNode;
  byId: Map<string, GNode>;
  /** Node index → the op node drawing it (its host when it is embedded). */
  leafOf: GNode[];
  /** Node index → indices of its input and output edges. */
  inEdges: number[][];
  outEdges: number[][];
  data: GraphData;
  templates: number;
}

export const ROOT_ID = "__root__";
export const SERIES_MIN = 5;

let uids = 0;
const NO_EDGES: Map<number, GEdge> = new Map();
const NO_DEVICES: Map<string, number> = new Map();
const NO_BRIDGES: Map<GNode, number> = new Map();

export function edgeKey(src: GNode, dst: GNode): number {
  return src.uid * 2 ** 24 + dst.uid;
}

function newNode(id: string, label: string, kind: GNodeKind, parent: GNode | null, index = -1): GNode {
  return {
    id,
    uid: uids++,
    label,
    kind,
    parent,
    children: [],
    index,
    leaves: kind === "op" ? 1 : 0,
    depth: parent ? parent.depth + 1 : 0,
    hash: "",
    template: -1,
    templateCount: 1,
    embedded: [],
    // Op nodes hold no edges and one device (read from the columns): no Map each for 10k ops.
    edges: kind === "op" ? NO_EDGES : new Map(),
    devices: kind === "op" ? NO_DEVICES : new Map(),
    bridgeIn: NO_BRIDGES,
    bridgeOut: NO_BRIDGES,
  };
}

/** 53-bit string hash (two FNV-1a lanes): collisions would merge templates, so 32 bits is too few. */
export function hashString(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return ((a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff)).toString(36);
}

const CONST_OPS = new Set(["Const", "prim::Constant"]);

/**
 * Which nodes are drawn inside others (TB's in- and out-embeddings): index → host indices.
 * An inputless constant goes into every node it feeds: torch's trace shares one constant between
 * identical blocks, and drawing it in the first block would make that block look different.
 */
export function embeddings(data: GraphData, inEdges: number[][], outEdges: number[][]): Map<number, number[]> {
  const host = new Map<number, number[]>();
  for (let i = 0; i < data.name.length; i++) {
    const op = data.op[i];
    if (CONST_OPS.has(op) && inEdges[i].length === 0 && outEdges[i].length > 0) {
      host.set(i, [...new Set(outEdges[i].map((e) => data.dst[e]))]);
    } else if (op.endsWith("Summary") && outEdges[i].length === 0 && inEdges[i].length === 1) {
      host.set(i, [data.src[inEdges[i][0]]]);
    }
  }
  // A host must itself be drawn: a node embedded only in embedded nodes stays a node.
  for (const [i, hs] of host) {
    const drawn = hs.filter((h) => !host.has(h) || h === i);
    if (drawn.length) host.set(i, drawn);
  }
  for (const [i, hs] of [...host]) if (hs.some((h) => host.has(h))) host.delete(i);
  return host;
}

/** Splits on "/" ignoring empty parts (a name like "a//b" or "/a" still lands somewhere). */
function parts(name: string): string[] {
  const p = name.split("/").filter((s) => s.length > 0);
  return p.length ? p : [name || "(unnamed)"];
}

function buildTree(data: GraphData, embedded: Map<number, number[]>): { root: GNode; leafOf: GNode[] } {
  const root = newNode(ROOT_ID, ROOT_ID, "meta", null);
  // Scopes first, from every name's parent path (each path built once, through its own parent).
  const metas = new Map<string, GNode>();
  const scope = (path: string): GNode => {
    if (!path) return root;
    let m = metas.get(path);
    if (m) return m;
    const cut = path.lastIndexOf("/");
    const parent = scope(cut < 0 ? "" : path.slice(0, cut));
    m = newNode(path, cut < 0 ? path : path.slice(cut + 1), "meta", parent);
    metas.set(path, m);
    parent.children.push(m);
    return m;
  };
  const n = data.name.length;
  const paths: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (embedded.has(i)) continue;
    const name = data.name[i];
    // "a//b", "/a" or "a/" still land somewhere: empty parts are dropped.
    const p = name.includes("//") || name.startsWith("/") || name.endsWith("/") ? parts(name).join("/") : name || "(unnamed)";
    paths[i] = p;
    const cut = p.lastIndexOf("/");
    if (cut > 0) scope(p.slice(0, cut));
  }
  const leafOf: GNode[] = new Array(n);
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (embedded.has(i)) continue;
    const p = paths[i];
    const cut = p.lastIndexOf("/");
    let parent = cut > 0 ? (metas.get(p.slice(0, cut)) as GNode) : root;
    let label = cut > 0 ? p.slice(cut + 1) : p;
    if (metas.has(p)) {
      // An op named like a scope moves inside it as "a/(a)".
      parent = metas.get(p) as GNode;
      label = `(${label})`;
    }
    const base = parent === root ? "" : `${parent.id}/`;
    let id = base + label;
    // Duplicate names (a malformed GraphDef) still get a node each.
    for (let k = 1; used.has(id) || metas.has(id); k++) id = `${base}${label}#${k}`;
    used.add(id);
    const leaf = newNode(id, label, "op", parent, i);
    parent.children.push(leaf);
    leafOf[i] = leaf;
  }
  for (const [i, hosts] of embedded) {
    leafOf[i] = leafOf[hosts[0]];
    for (const h of hosts) leafOf[h].embedded.push(i);
  }
  return { root, leafOf };
}

/** The two children of the lowest common group of a and b that hold them (null for a self edge). */
export function lcaChildren(a: GNode, b: GNode): [GNode, GNode] | null {
  if (a === b) return null;
  while (a.depth > b.depth) a = a.parent as GNode;
  while (b.depth > a.depth) b = b.parent as GNode;
  if (a === b) return null; // one end inside the other (cannot happen for op nodes)
  while (a.parent !== b.parent) {
    a = a.parent as GNode;
    b = b.parent as GNode;
  }
  return [a, b];
}

function summariseEdges(h: { root: GNode; leafOf: GNode[]; data: GraphData; embedded: Map<number, number[]> }): void {
  const { data, leafOf, embedded } = h;
  const clear = (n: GNode) => {
    if (n.kind === "op") return;
    n.edges = new Map();
    n.bridgeIn = new Map();
    n.bridgeOut = new Map();
    for (const c of n.children) clear(c);
  };
  const bridge = (from: GNode, top: GNode, side: "bridgeIn" | "bridgeOut") => {
    // every group on the way up from the edge's end to the LCA's child is crossed at its border
    for (let c = from; c !== top; c = c.parent as GNode) {
      const g = c.parent as GNode;
      g[side].set(c, (g[side].get(c) ?? 0) + 1);
    }
  };
  clear(h.root);
  for (let e = 0; e < data.src.length; e++) {
    // An embedded node's edges are drawn as its host's "+k" mark, not as edges.
    if (embedded.has(data.src[e]) || embedded.has(data.dst[e])) continue;
    const pair = lcaChildren(leafOf[data.src[e]], leafOf[data.dst[e]]);
    if (!pair) continue;
    const [a, b] = pair;
    const owner = a.parent as GNode;
    const key = edgeKey(a, b);
    let ge = owner.edges.get(key);
    if (!ge) {
      ge = { src: a, dst: b, data: 0, control: 0, shapes: new Map(), edges: [] };
      owner.edges.set(key, ge);
    }
    ge.edges.push(e);
    bridge(leafOf[data.dst[e]], b, "bridgeIn");
    bridge(leafOf[data.src[e]], a, "bridgeOut");
    if (data.control[e]) ge.control++;
    else {
      ge.data++;
      const s = data.edgeShape[e];
      if (s) ge.shapes.set(s, (ge.shapes.get(s) ?? 0) + 1);
    }
  }
}

/** Post-order structure hashes: an op is its op type; a group is its children's hashes and its internal wiring. */
function hashTree(n: GNode, data: GraphData, memo: Map<string, string>): string {
  if (n.kind === "op") {
    const sig = n.embedded.length ? `${data.op[n.index]}:${n.embedded.map((i) => data.op[i]).sort().join(",")}` : data.op[n.index];
    let hsh = memo.get(sig);
    if (hsh === undefined) memo.set(sig, (hsh = hashString(`op:${sig}`)));
    n.hash = hsh;
    return n.hash;
  }
  const kids = n.children.map((c) => hashTree(c, data, memo)).sort();
  const wires = [...n.edges.values()].map((e) => `${e.src.hash}>${e.dst.hash}${e.control ? "~" : ""}`).sort();
  n.hash = hashString(`${n.kind}(${kids.join(",")}|${wires.join(",")})`);
  return n.hash;
}

const NUMBERED = /^(.*?)(\d+)(\D*)$/;

/** Groups numbered siblings of one structure into series nodes (TB's `pre[lo-hi]suf`). */
function makeSeries(n: GNode, byId: Map<string, GNode>): void {
  for (const c of n.children) makeSeries(c, byId);
  if (n.kind !== "meta" || n.children.length < SERIES_MIN) return;
  const groups = new Map<string, { pre: string; suf: string; members: { node: GNode; num: number }[] }>();
  for (const c of n.children) {
    const m = NUMBERED.exec(c.label);
    if (!m) continue;
    const key = `${m[1]}\u0000${m[3]}\u0000${c.kind}\u0000${c.hash}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { pre: m[1], suf: m[3], members: [] }));
    g.members.push({ node: c, num: Number(m[2]) });
  }
  for (const g of groups.values()) {
    if (g.members.length < SERIES_MIN) continue;
    g.members.sort((x, y) => x.num - y.num);
    const lo = g.members[0].num;
    const hi = g.members[g.members.length - 1].num;
    const label = `${g.pre}[${lo}-${hi}]${g.suf}`;
    let id = n.kind === "meta" && n.parent === null ? label : `${n.id}/${label}`;
    for (let k = 1; byId.has(id); k++) id = `${n.parent === null ? "" : n.id + "/"}${label}#${k}`;
    const s = newNode(id, label, "series", n);
    // Alike members by construction: the series' structure is the member's, times the count.
    s.hash = hashString(`series(${g.members[0].node.hash}*${g.members.length})`);
    const members = new Set(g.members.map((x) => x.node));
    // The series takes the place of its first member, so sibling order stays stable.
    const first = n.children.findIndex((c) => members.has(c));
    n.children = n.children.filter((c) => !members.has(c));
    n.children.splice(first, 0, s);
    for (const { node } of g.members) {
      node.parent = s;
      s.children.push(node);
    }
    byId.set(id, s);
  }
}

function finish(n: GNode, data: GraphData, depth: number): void {
  n.depth = depth;
  if (n.kind === "op") {
    n.leaves = 1;
    return;
  }
  n.leaves = 0;
  n.devices = new Map();
  for (const c of n.children) {
    finish(c, data, depth + 1);
    n.leaves += c.leaves;
    if (c.kind === "op") {
      const d = data.device[c.index] ?? "";
      n.devices.set(d, (n.devices.get(d) ?? 0) + 1);
    } else for (const [d, k] of c.devices) n.devices.set(d, (n.devices.get(d) ?? 0) + k);
  }
}

/** Device → op count beneath a node (an op: its own device). */
export function devicesOf(n: GNode, data: GraphData): Map<string, number> {
  return n.kind === "op" ? new Map([[data.device[n.index] ?? "", 1]]) : n.devices;
}

function index(n: GNode, byId: Map<string, GNode>): void {
  byId.set(n.id, n);
  for (const c of n.children) index(c, byId);
}

/** Shared templates: groups of 2+ op nodes whose structure hash occurs more than once. */
function assignTemplates(root: GNode): number {
  const count = new Map<string, number>();
  const walk = (n: GNode, f: (n: GNode) => void) => {
    f(n);
    for (const c of n.children) walk(c, f);
  };
  walk(root, (n) => {
    if (n.kind !== "op" && n !== root && n.leaves >= 2) count.set(n.hash, (count.get(n.hash) ?? 0) + 1);
  });
  const ids = new Map<string, number>();
  walk(root, (n) => {
    const k = count.get(n.hash) ?? 0;
    if (n.kind === "op" || n === root || n.leaves < 2 || k < 2) return;
    if (!ids.has(n.hash)) ids.set(n.hash, ids.size);
    n.template = ids.get(n.hash) as number;
    n.templateCount = k;
  });
  return ids.size;
}

export function buildHierarchy(data: GraphData): Hierarchy {
  const n = data.name.length;
  const inEdges: number[][] = Array.from({ length: n }, () => []);
  const outEdges: number[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < data.src.length; e++) {
    outEdges[data.src[e]].push(e);
    inEdges[data.dst[e]].push(e);
  }
  const embedded = embeddings(data, inEdges, outEdges);
  const { root, leafOf } = buildTree(data, embedded);
  const h = { root, leafOf, data, embedded };
  finish(root, data, 0);
  summariseEdges(h); // first on the plain scope tree: hashes read each group's wiring
  hashTree(root, data, new Map());
  const byId = new Map<string, GNode>();
  index(root, byId);
  const before = byId.size;
  makeSeries(root, byId);
  if (byId.size !== before) {
    // Series are groups of their own: depths, counts and edge summaries change. Hashes of the
    // groups above stay as they were (same members, same wiring), which is what templates need.
    finish(root, data, 0);
    summariseEdges(h);
  }
  const templates = assignTemplates(root);
  byId.clear();
  index(root, byId);
  return { root, byId, leafOf, inEdges, outEdges, data, templates };
}

/** Ancestors of a node from the root down (root included, the node excluded). */
export function ancestors(n: GNode): GNode[] {
  const out: GNode[] = [];
  for (let p = n.parent; p; p = p.parent) out.unshift(p);
  return out;
}

/** Number of nodes drawn when `expanded` groups are open (the root is always open). */
export function visibleCount(root: GNode, expanded: Set<string>): number {
  let k = 0;
  const walk = (n: GNode) => {
    for (const c of n.children) {
      k++;
      if (c.kind !== "op" && expanded.has(c.id)) walk(c);
    }
  };
  walk(root);
  return k;
}

/**
 * The groups opened at first: TB opens only the root, which for a torch model is a single box.
 * While the picture has fewer than `few` nodes, open its largest scope (never a series: its
 * members look alike), as long as it stays under `budget` nodes: readable, but not empty.
 */
export function initialExpansion(root: GNode, few = 8, budget = 40): Set<string> {
  const expanded = new Set<string>();
  for (let guard = 0; guard < 64; guard++) {
    const shown = visibleCount(root, expanded);
    if (shown >= few) break;
    let best: GNode | null = null;
    const walk = (n: GNode) => {
      for (const c of n.children) {
        if (c.kind !== "meta") continue;
        if (expanded.has(c.id)) walk(c);
        else if (!best || c.leaves > best.leaves) best = c;
      }
    };
    walk(root);
    if (!best) break;
    const b = best as GNode;
    if (shown + b.children.length > budget) break; // an open box stays drawn, around its children
    expanded.add(b.id);
  }
  return expanded;
}

/** A one-line summary label for an edge between groups: TB shows the shape, or "N tensors". */
export function edgeLabel(e: GEdge): string {
  const parts: string[] = [];
  if (e.data === 1 && e.shapes.size === 1) parts.push([...e.shapes.keys()][0]);
  else if (e.data > 1) {
    parts.push(`${e.data} tensors`);
    if (e.shapes.size === 1) parts.push([...e.shapes.keys()][0]);
  }
  // Control dependencies riding along a data edge are drawn with it: say so.
  if (e.control > 0) parts.push(e.data > 0 ? `+${e.control} control` : e.control > 1 ? `${e.control} control` : "");
  return parts.filter(Boolean).join(" ");
}
