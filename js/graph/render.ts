/**
 * Draws the laid-out hierarchy as SVG: expanded groups as boxes holding their children, collapsed
 * groups as rounded boxes (series as a stack), ops as ellipses, edges as dagre's polylines with
 * arrows (control edges dashed) and their summary labels. Pan by dragging, zoom with the wheel,
 * fit to view. Every label is set with textContent: node names come from the log.
 */
import { PALETTE, fnv1a } from "../colors";
import { devicesOf, edgeLabel, type GEdge, type GNode, type Hierarchy } from "./hierarchy";
import { BRIDGE_IN, BRIDGE_OUT } from "./layout";
import { HEADER, PAD, type Box, type JobResult } from "./layoutcore";

const SVG = "http://www.w3.org/2000/svg";
export type ColorBy = "structure" | "op" | "device";

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function colorOf(key: string): string {
  return PALETTE[fnv1a(key) % PALETTE.length];
}

/** The dominant device of a node (ties: the first seen); "" when none is recorded. */
export function mainDevice(n: GNode, h: Hierarchy): string {
  let best = "";
  let k = -1;
  for (const [d, c] of devicesOf(n, h.data)) if (d && c > k) (best = d), (k = c);
  return best;
}

export function fillOf(n: GNode, h: Hierarchy, by: ColorBy): string | null {
  if (by === "device") {
    const d = mainDevice(n, h);
    return d ? colorOf(d) : null;
  }
  if (by === "op") return n.kind === "op" ? colorOf(h.data.op[n.index]) : null;
  // structure: groups sharing a template share a colour
  return n.template >= 0 ? PALETTE[n.template % PALETTE.length] : null;
}

export interface Placed {
  node: GNode;
  /** Absolute box (top-left corner) in graph coordinates. */
  x: number;
  y: number;
  w: number;
  h: number;
  el: SVGGElement;
}

function truncate(text: string, px: number): string {
  const max = Math.max(3, Math.floor(px / 6.6));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface RenderHooks {
  /** A node was clicked (not dragged): the tab opens/closes groups and shows details. */
  onClick(n: GNode, ev: MouseEvent): void;
}

export class GraphCanvas {
  readonly svg: SVGSVGElement;
  private viewport: SVGGElement;
  private scene: SVGGElement;
  placed = new Map<string, Placed>();
  private k = 1;
  private tx = 0;
  private ty = 0;
  private total = { w: 0, h: 0 };
  selected: string | null = null;
  /** The graph was pressed since the pointer came in: the wheel zooms it. */
  private engaged = false;
  /** The last pointer press panned the view: its click must not select or toggle anything. */
  private dragged = false;
  private drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;

  constructor(private hooks: RenderHooks) {
    this.svg = s("svg", { class: "nbtb-graph-svg", "data-testid": "graph-svg" });
    const defs = s("defs");
    for (const [id, cls] of [["nbtb-arrow", "nbtb-garrow"], ["nbtb-arrow-ctl", "nbtb-garrow nbtb-garrow-ctl"]]) {
      // userSpaceOnUse: thick (many-tensor) edges keep normal arrowheads instead of scaled-up ones.
      const m = s("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" });
      m.append(s("path", { d: "M0,0 L10,5 L0,10 z", class: cls }));
      defs.append(m);
    }
    this.viewport = s("g", { class: "nbtb-graph-viewport" });
    this.scene = s("g");
    this.viewport.append(this.scene);
    this.svg.append(defs, this.viewport);
    this.svg.addEventListener("wheel", (ev) => this.onWheel(ev), { passive: false });
    // In a notebook the wheel scrolls the page: it zooms the graph only once the graph has been
    // pressed (until the pointer leaves it), or with Ctrl/Cmd held.
    this.svg.addEventListener("pointerleave", () => (this.engaged = false));
    this.svg.setAttribute("aria-label", "Graph: drag to pan; click, then scroll (or Ctrl+scroll) to zoom");
    this.svg.addEventListener("pointerdown", (ev) => {
      this.engaged = true;
      if ((ev.target as Element).closest(".nbtb-gnode:not(.nbtb-gbox), .nbtb-ghead")) return;
      this.dragged = false;
      this.drag = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
      this.svg.setPointerCapture?.(ev.pointerId);
    });
    this.svg.addEventListener("pointermove", (ev) => {
      if (!this.drag) return;
      this.tx = this.drag.tx + ev.clientX - this.drag.x;
      this.ty = this.drag.ty + ev.clientY - this.drag.y;
      this.drag.moved = true;
      this.dragged = Math.abs(ev.clientX - this.drag.x) + Math.abs(ev.clientY - this.drag.y) > 3;
      this.apply();
    });
    const end = () => (this.drag = null);
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
  }

  private apply(): void {
    this.viewport.setAttribute("transform", `translate(${this.tx.toFixed(1)},${this.ty.toFixed(1)}) scale(${this.k.toFixed(4)})`);
    this.svg.dataset.zoom = this.k.toFixed(3);
  }

  private onWheel(ev: WheelEvent): void {
    if (!this.engaged && !ev.ctrlKey && !ev.metaKey) return; // let the notebook scroll
    ev.preventDefault();
    const r = this.svg.getBoundingClientRect();
    const px = ev.clientX - r.left;
    const py = ev.clientY - r.top;
    const k = Math.min(4, Math.max(0.05, this.k * Math.exp(-ev.deltaY * 0.0015)));
    // keep the graph point under the pointer where it is
    this.tx = px - ((px - this.tx) * k) / this.k;
    this.ty = py - ((py - this.ty) * k) / this.k;
    this.k = k;
    this.apply();
  }

  zoomBy(f: number): void {
    const r = this.svg.getBoundingClientRect();
    const px = r.width / 2;
    const py = r.height / 2;
    const k = Math.min(4, Math.max(0.05, this.k * f));
    this.tx = px - ((px - this.tx) * k) / this.k;
    this.ty = py - ((py - this.ty) * k) / this.k;
    this.k = k;
    this.apply();
  }

  /** Scale and centre the whole drawing in the view (never above 1:1, labels stay readable). */
  fit(): void {
    const r = this.svg.getBoundingClientRect();
    const W = r.width || 800;
    const H = r.height || 560;
    if (!this.total.w || !this.total.h) return;
    this.k = Math.min(1, (W - 20) / this.total.w, (H - 20) / this.total.h);
    this.tx = (W - this.total.w * this.k) / 2;
    this.ty = (H - this.total.h * this.k) / 2;
    this.apply();
  }

  /** Pans so that node `id` sits in the middle of the view (zooming in if it would be tiny). */
  centerOn(id: string): void {
    const p = this.placed.get(id);
    if (!p) return;
    const r = this.svg.getBoundingClientRect();
    if (this.k < 0.6) this.k = 0.9;
    this.tx = (r.width || 800) / 2 - (p.x + p.w / 2) * this.k;
    this.ty = (r.height || 560) / 2 - (p.y + p.h / 2) * this.k;
    this.apply();
  }

  /** Screen offset of a node's top-left, to keep a clicked node in place across a re-layout. */
  screenOf(id: string): { x: number; y: number } | null {
    const p = this.placed.get(id);
    return p ? { x: this.tx + p.x * this.k, y: this.ty + p.y * this.k } : null;
  }

  moveTo(id: string, screen: { x: number; y: number }): void {
    const p = this.placed.get(id);
    if (!p) return;
    this.tx = screen.x - p.x * this.k;
    this.ty = screen.y - p.y * this.k;
    this.apply();
  }

  /**
   * After a group opens where it was, its box may run off the view: zoom out (not below 0.25) until
   * it fits and slide it inside, so what was just opened can be seen and clicked.
   */
  ensureVisible(id: string): void {
    const p = this.placed.get(id);
    if (!p) return;
    const r = this.svg.getBoundingClientRect();
    const W = r.width || 800;
    const H = r.height || 560;
    const m = 10;
    const sx = this.tx + p.x * this.k; // the box's top-left on screen stays put while zooming
    const sy = this.ty + p.y * this.k;
    const k = Math.min(this.k, Math.max(0.25, Math.min((W - 2 * m) / p.w, (H - 2 * m) / p.h)));
    this.tx = sx - p.x * k;
    this.ty = sy - p.y * k;
    this.k = k;
    const slide = (pos: number, size: number, view: number) =>
      pos < m ? m - pos : pos + size > view - m ? -Math.min(pos + size - (view - m), pos - m) : 0;
    this.tx += slide(this.tx + p.x * k, p.w * k, W);
    this.ty += slide(this.ty + p.y * k, p.h * k, H);
    this.apply();
  }

  setSelected(id: string | null): void {
    if (this.selected) this.placed.get(this.selected)?.el.classList.remove("nbtb-gsel");
    this.selected = id;
    if (id) this.placed.get(id)?.el.classList.add("nbtb-gsel");
  }

  /** Empties the drawing (a graph that could not be read must not leave the previous one up). */
  clear(): void {
    this.placed.clear();
    const scene = s("g");
    this.scene.replaceWith(scene);
    this.scene = scene;
    this.total = { w: 0, h: 0 };
    this.svg.dataset.visible = "0";
  }

  /** Redraws everything: a few hundred elements at most, since only the visible hierarchy is drawn. */
  draw(h: Hierarchy, expanded: Set<string>, layouts: Map<string, JobResult>, by: ColorBy): void {
    this.placed.clear();
    const scene = s("g");
    const rootLayout = layouts.get(h.root.id);
    if (!rootLayout) return;
    const edgeLayer = s("g", { class: "nbtb-gedges" });
    const nodeLayer = s("g", { class: "nbtb-gnodes" });
    this.drawGroup(h.root, 0, 0, layouts, expanded, h, by, nodeLayer, edgeLayer);
    scene.append(nodeLayer, edgeLayer);
    this.scene.replaceWith(scene);
    this.scene = scene;
    this.total = { w: rootLayout.width, h: rootLayout.height };
    this.svg.dataset.visible = String(this.placed.size);
    if (this.selected) this.placed.get(this.selected)?.el.classList.add("nbtb-gsel");
    this.apply();
  }

  private drawGroup(
    n: GNode,
    ox: number,
    oy: number,
    layouts: Map<string, JobResult>,
    expanded: Set<string>,
    h: Hierarchy,
    by: ColorBy,
    nodes: SVGGElement,
    edges: SVGGElement,
  ): void {
    const lay = layouts.get(n.id);
    if (!lay) return;
    for (const c of n.children) {
      const b: Box | undefined = lay.nodes[c.id];
      if (!b) continue;
      const x = ox + b.x - b.w / 2;
      const y = oy + b.y - b.h / 2;
      const open = c.kind !== "op" && expanded.has(c.id);
      const el = open ? this.drawBox(c, x, y, b, h, by) : this.drawNode(c, x, y, b, h, by);
      nodes.append(el);
      this.placed.set(c.id, { node: c, x, y, w: b.w, h: b.h, el });
      if (open) this.drawGroup(c, x + PAD, y + HEADER, layouts, expanded, h, by, nodes, edges);
    }
    const byKey = new Map<string, GEdge>();
    for (const e of n.edges.values()) byKey.set(`${e.src.id}\u0000${e.dst.id}`, e);
    for (const le of lay.edges) {
      if (n !== h.root && (le.v === BRIDGE_IN || le.w === BRIDGE_OUT) && le.points.length >= 2) {
        edges.append(this.drawBridge(n, le, ox, oy, lay));
        continue;
      }
      const ge = byKey.get(`${le.v}\u0000${le.w}`);
      if (!ge || le.points.length < 2) continue;
      edges.append(this.drawEdge(ge, le.points.map((p) => ({ x: ox + p.x, y: oy + p.y }))));
    }
  }

  /** An outside edge continued inside an open group: from its bottom border, or to its top one. */
  private drawBridge(n: GNode, le: { v: string; w: string; points: { x: number; y: number }[] }, ox: number, oy: number, lay: JobResult): SVGGElement {
    const pts = le.points.map((p) => ({ x: ox + p.x, y: oy + p.y }));
    const into = le.v === BRIDGE_IN;
    if (into) pts.unshift({ x: pts[0].x, y: oy + lay.height + PAD - 1 });
    else pts.push({ x: pts[pts.length - 1].x, y: oy - 4 });
    const inner = into ? le.w : le.v;
    const child = n.children.find((c) => c.id === inner);
    const count = child ? (into ? n.bridgeIn : n.bridgeOut).get(child) ?? 0 : 0;
    const g = s("g", { class: "nbtb-gedge nbtb-gbridge", "data-src": into ? "" : inner, "data-dst": into ? inner : "" });
    const d = `M${pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("L")}`;
    g.append(s("path", { d, class: "nbtb-gedge-line nbtb-gbridge-line", "stroke-dasharray": "2 2", "marker-end": "url(#nbtb-arrow)" }));
    const title = s("title");
    title.textContent = `${count} edge${count === 1 ? "" : "s"} ${into ? "from outside " + n.label + " into" : "from"} ${inner}${into ? "" : " to outside " + n.label}`;
    g.append(title);
    return g;
  }

  private drawEdge(e: GEdge, pts: { x: number; y: number }[]): SVGGElement {
    const g = s("g", { class: "nbtb-gedge", "data-src": e.src.id, "data-dst": e.dst.id });
    const onlyControl = e.data === 0;
    const d = `M${pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("L")}`;
    const width = Math.min(6, 1 + Math.log2(Math.max(1, e.data)));
    const path = s("path", { d, class: onlyControl ? "nbtb-gedge-line nbtb-gedge-ctl" : "nbtb-gedge-line", "stroke-width": width, "marker-end": `url(#${onlyControl ? "nbtb-arrow-ctl" : "nbtb-arrow"})` });
    if (onlyControl) path.setAttribute("stroke-dasharray", "4 3");
    g.append(path);
    const label = edgeLabel(e);
    if (label) {
      const mid = pts[Math.floor(pts.length / 2)];
      const t = s("text", { x: mid.x + 4, y: mid.y, class: "nbtb-gedge-label" });
      t.textContent = truncate(label, 140);
      g.append(t);
    }
    const title = s("title");
    title.textContent = `${e.src.id} → ${e.dst.id}: ${e.data} data, ${e.control} control${e.shapes.size ? ` (${[...e.shapes.keys()].slice(0, 4).join(", ")})` : ""}`;
    g.append(title);
    return g;
  }

  private decorate(g: SVGGElement, n: GNode): void {
    g.dataset.id = n.id;
    g.dataset.kind = n.kind;
    g.dataset.leaves = String(n.leaves);
    g.setAttribute("data-testid", "graph-node");
    g.addEventListener("click", (ev) => {
      ev.stopPropagation();
      if (this.dragged) return;
      this.hooks.onClick(n, ev);
    });
  }

  private drawNode(n: GNode, x: number, y: number, b: Box, h: Hierarchy, by: ColorBy): SVGGElement {
    const g = s("g", { class: `nbtb-gnode nbtb-g${n.kind}`, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    this.decorate(g, n);
    const fill = fillOf(n, h, by);
    if (n.kind === "op") {
      g.append(s("ellipse", { cx: b.w / 2, cy: b.h / 2, rx: b.w / 2, ry: b.h / 2, class: "nbtb-gshape" }));
    } else {
      if (n.kind === "series") g.append(s("rect", { x: 4, y: -4, width: b.w - 4, height: b.h, rx: 6, class: "nbtb-gshape nbtb-gstack" }));
      g.append(s("rect", { x: 0, y: 0, width: b.w - (n.kind === "series" ? 4 : 0), height: b.h, rx: n.kind === "series" ? 6 : 4, class: "nbtb-gshape" }));
    }
    if (fill) for (const shape of g.querySelectorAll(".nbtb-gshape")) shape.setAttribute("style", `fill:${fill};fill-opacity:0.35;stroke:${fill}`);
    const t = s("text", { x: b.w / 2, y: b.h / 2 + 4, class: "nbtb-glabel", "text-anchor": "middle" });
    t.textContent = truncate(n.label, b.w - (n.templateCount > 1 ? 40 : 12));
    g.append(t);
    if (n.templateCount > 1) {
      const badge = s("text", { x: b.w - 4, y: 11, class: "nbtb-gbadge", "text-anchor": "end", "data-testid": "graph-template" });
      badge.textContent = `×${n.templateCount}`;
      g.append(badge);
    }
    if (n.embedded.length) {
      const emb = s("text", { x: b.w / 2, y: b.h + 9, class: "nbtb-gembed", "text-anchor": "middle" });
      emb.textContent = `+${n.embedded.length}`;
      g.append(emb);
    }
    const title = s("title");
    title.textContent = n.kind === "op" ? `${n.id}\n${h.data.op[n.index]}` : `${n.id}\n${n.leaves} ops${n.templateCount > 1 ? `, ${n.templateCount} alike` : ""} (click to expand)`;
    g.append(title);
    return g;
  }

  private drawBox(n: GNode, x: number, y: number, b: Box, h: Hierarchy, by: ColorBy): SVGGElement {
    const g = s("g", { class: `nbtb-gnode nbtb-gbox nbtb-g${n.kind}`, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    this.decorate(g, n);
    g.dataset.expanded = "1";
    const rect = s("rect", { x: 0, y: 0, width: b.w, height: b.h, rx: 6, class: "nbtb-gbox-rect" });
    const fill = fillOf(n, h, by);
    if (fill) rect.setAttribute("style", `stroke:${fill}`);
    const head = s("g", { class: "nbtb-ghead" });
    head.append(s("rect", { x: 0, y: 0, width: b.w, height: HEADER - 4, rx: 6, class: "nbtb-ghead-rect" }));
    const t = s("text", { x: 8, y: 14, class: "nbtb-glabel nbtb-ghead-label" });
    t.textContent = `− ${truncate(n.label, b.w - 60)}${n.templateCount > 1 ? `  ×${n.templateCount}` : ""}`;
    head.append(t);
    g.append(rect, head);
    return g;
  }
}
