/**
 * The Graphs tab: run and graph-kind selectors (op graph / Keras conceptual graph), colour mode,
 * search, fit, the drawing and the detail panel. It asks the kernel for one graph at a time
 * ("graph_request", docs/protocol.md), builds the hierarchy once per graph, and lays out only
 * what is visible, again only around a scope that opens or closes.
 */
import "./graph.css";
import { el } from "../dom";
import type { Buf, Model } from "../protocol";
import { decodeGraph } from "./data";
import { renderDetails } from "./details";
import { legendEntries, renderLegend } from "./legend";
import { ancestors, buildHierarchy, type GNode, type Hierarchy, initialExpansion } from "./hierarchy";
import { bundledEngine, type Engine, Layouts } from "./layout";
import { type ColorBy, GraphCanvas } from "./render";
import { searchNodes } from "./search";

export type GraphKind = "op" | "keras";
export type GraphCatalog = Partial<Record<GraphKind, string[]>>;

export interface GraphReply {
  kind: "graph_reply";
  request_id: number;
  run: string;
  graph_kind: GraphKind;
  /** Which of the run's graphs of that kind was sent ("" = the GraphDef). */
  tag: string | null;
  error: string | null;
  nodes: number;
  edges: number;
}

const KIND_LABEL: Record<GraphKind, string> = { op: "Op graph", keras: "Keras (conceptual)" };

export class GraphTab {
  readonly el: HTMLElement;
  private runSel = el("select", "nbtb-gsel-run");
  private kindSel = el("select", "nbtb-gsel-kind");
  private tagSel = el("select", "nbtb-gsel-tag");
  private colorSel = el("select", "nbtb-gsel-color");
  private search = el("input", "nbtb-filter nbtb-gsearch");
  private results = el("div", "nbtb-gresults");
  private status = el("span", "nbtb-gstatus");
  private stage = el("div", "nbtb-gstage");
  private details = el("div", "nbtb-gdetails");
  private legend = el("div", "nbtb-glegend");
  private canvas: GraphCanvas;
  private layouts: Layouts;
  private h: Hierarchy | null = null;
  private expanded = new Set<string>();
  private colorBy: ColorBy = "structure";
  private run = "";
  private kind: GraphKind = "op";
  /** null: the kernel's default (the run's GraphDef, else its first graph of the kind). */
  private tag: string | null = null;
  private nextId = 1 + Math.floor(Math.random() * 2 ** 29) + 3 * 2 ** 29;
  private waiting: number | null = null;
  private queue: Promise<void> = Promise.resolve();
  private shown = false;
  private loadedKey = "";
  private renders = 0;
  private sentAt = 0;

  constructor(
    private model: Model,
    private onPaint: () => void,
    engine: Engine = bundledEngine(),
  ) {
    this.layouts = new Layouts(engine);
    this.el = el("div", "nbtb-graph");
    this.el.dataset.testid = "graph-tab";
    this.canvas = new GraphCanvas({ onClick: (n, ev) => this.onNodeClick(n, ev) });
    this.search.type = "search";
    this.search.placeholder = "Search nodes";
    this.search.dataset.testid = "graph-search";
    this.runSel.dataset.testid = "graph-run";
    this.kindSel.dataset.testid = "graph-kind";
    this.tagSel.dataset.testid = "graph-tag";
    this.colorSel.dataset.testid = "graph-color";
    this.results.dataset.testid = "graph-results";
    this.results.hidden = true;
    this.status.dataset.testid = "graph-status";
    this.details.dataset.testid = "graph-details";
    for (const [v, label] of [["structure", "Structure"], ["op", "Op type"], ["device", "Device"]]) {
      const o = el("option", "", label);
      o.value = v;
      this.colorSel.append(o);
    }
    const fit = el("button", "nbtb-small-btn", "Fit");
    fit.type = "button";
    fit.dataset.testid = "graph-fit";
    fit.addEventListener("click", () => this.canvas.fit());
    const zin = el("button", "nbtb-small-btn", "+");
    zin.type = "button";
    zin.addEventListener("click", () => this.canvas.zoomBy(1.25));
    const zout = el("button", "nbtb-small-btn", "−");
    zout.type = "button";
    zout.addEventListener("click", () => this.canvas.zoomBy(0.8));
    const label = (text: string, control: HTMLElement) => {
      const l = el("label", "nbtb-gfield");
      l.append(el("span", "", text), control);
      return l;
    };
    const searchBox = el("div", "nbtb-gsearchbox");
    searchBox.append(this.search, this.results);
    const bar = el("div", "nbtb-gbar");
    bar.append(label("Run", this.runSel), label("Graph", this.kindSel), label("Tag", this.tagSel), label("Colour", this.colorSel), searchBox, fit, zin, zout, this.status);
    this.stage.append(this.canvas.svg);
    const body = el("div", "nbtb-gbody");
    body.append(this.stage, this.details);
    this.legend.dataset.testid = "graph-legend";
    this.el.append(bar, this.legend, body);
    renderDetails(this.details, this.emptyHierarchy(), null, () => {});

    this.runSel.addEventListener("change", () => {
      this.run = this.runSel.value;
      this.tag = null;
      this.updateSelectors();
      this.load();
    });
    this.kindSel.addEventListener("change", () => {
      this.kind = this.kindSel.value as GraphKind;
      this.tag = null;
      this.updateSelectors();
      this.load();
    });
    this.tagSel.addEventListener("change", () => {
      this.tag = this.tagSel.value;
      this.load();
    });
    this.colorSel.addEventListener("change", () => {
      this.colorBy = this.colorSel.value as ColorBy;
      void this.redraw(false);
    });
    this.search.addEventListener("input", () => this.showResults());
    this.search.addEventListener("focus", () => this.showResults());
    this.search.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && this.h) {
        const first = searchNodes(this.h, this.search.value, 1)[0];
        if (first) void this.reveal(first.index);
      } else if (ev.key === "Escape") this.results.hidden = true;
      else if (ev.key === "ArrowDown") {
        ev.preventDefault();
        (this.results.querySelector(".nbtb-gresult") as HTMLElement | null)?.focus();
      }
    });
    // Arrow keys walk the results (Enter on one reveals it, as a click does); Escape goes back.
    this.results.addEventListener("keydown", (ev) => {
      const items = [...this.results.querySelectorAll<HTMLElement>(".nbtb-gresult")];
      const at = items.indexOf(document.activeElement as HTMLElement);
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const next = at + (ev.key === "ArrowDown" ? 1 : -1);
        if (next < 0) this.search.focus();
        else items[Math.min(next, items.length - 1)]?.focus();
      } else if (ev.key === "Escape") {
        this.results.hidden = true;
        this.search.focus();
      }
    });
    // A press anywhere else in the tab closes the result list.
    this.el.addEventListener("pointerdown", (ev) => {
      if (!searchBox.contains(ev.target as Node)) this.results.hidden = true;
    });
  }

  private emptyHierarchy(): Hierarchy {
    return buildHierarchy({ name: [], op: [], device: [], shape: [], attrs: [], src: [], dst: [], control: [], edgeShape: [] });
  }

  /** The run's graphs of the current kind, by tag (catalog.graph_tags). */
  private tags(): string[] {
    const c = (this.model.get("catalog") ?? {}) as Record<string, unknown>;
    const byKind = (c.graph_tags ?? {}) as Partial<Record<GraphKind, Record<string, string[]>>>;
    return byKind[this.kind]?.[this.run] ?? [];
  }

  private catalog(): GraphCatalog {
    const c = (this.model.get("catalog") ?? {}) as Record<string, unknown>;
    return (c.graphs ?? {}) as GraphCatalog;
  }

  static hasGraphs(catalog: Record<string, unknown>): boolean {
    const g = (catalog.graphs ?? {}) as GraphCatalog;
    return (g.op?.length ?? 0) + (g.keras?.length ?? 0) > 0;
  }

  private runs(): string[] {
    const c = this.catalog();
    return [...new Set([...(c.op ?? []), ...(c.keras ?? [])])].sort();
  }

  private updateSelectors(): void {
    const runs = this.runs();
    const wanted = String(this.model.get("graph_run") ?? "");
    if (!runs.includes(this.run)) this.run = runs.includes(wanted) ? wanted : (runs[0] ?? "");
    if (this.runSel.options.length !== runs.length || [...this.runSel.options].some((o, i) => o.value !== runs[i])) {
      this.runSel.replaceChildren(
        ...runs.map((r) => {
          const o = el("option", "", r);
          o.value = r;
          return o;
        }),
      );
    }
    this.runSel.value = this.run;
    const c = this.catalog();
    const kinds = (["op", "keras"] as GraphKind[]).filter((k) => (c[k] ?? []).includes(this.run));
    if (!kinds.includes(this.kind)) this.kind = kinds[0] ?? "op";
    this.kindSel.replaceChildren(
      ...kinds.map((k) => {
        const o = el("option", "", KIND_LABEL[k]);
        o.value = k;
        return o;
      }),
    );
    this.kindSel.value = this.kind;
    // Both graphs exist only for some runs (Keras writes both): hide a choice of one.
    this.kindSel.parentElement?.toggleAttribute("hidden", kinds.length < 2);
    // Several graphs of a kind (a GraphDef and RunMetadata traces): TB's "Tag" choice.
    const tags = this.tags();
    if (this.tag !== null && !tags.includes(this.tag)) this.tag = null;
    this.tagSel.replaceChildren(
      ...tags.map((t) => {
        const o = el("option", "", t === "" ? "(run graph)" : t);
        o.value = t;
        return o;
      }),
    );
    this.tagSel.value = this.tag ?? tags[0] ?? "";
    this.tagSel.parentElement?.toggleAttribute("hidden", tags.length < 2);
  }

  /** Called when the tab is put on screen and when the catalog changes. */
  show(content: HTMLElement): void {
    if (content.firstChild !== this.el) content.replaceChildren(this.el);
    content.closest(".nbtb")?.classList.toggle("nbtb-panel-only", this.model.get("panel") === "graphs");
    this.shown = true;
    this.layouts.warm();
    this.updateSelectors();
    this.load();
  }

  private load(): void {
    if (!this.shown || !this.run) return;
    const key = `${this.run}\u0000${this.kind}\u0000${this.tag ?? "\u0001"}`;
    if (key === this.loadedKey) return;
    this.loadedKey = key;
    const id = this.nextId++;
    this.waiting = id;
    this.sentAt = performance.now();
    this.el.dataset.state = "loading";
    this.status.textContent = "loading…";
    this.model.send({ kind: "graph_request", request_id: id, run: this.run, graph_kind: this.kind, tag: this.tag });
  }

  /** Routes a kernel message; true when it was a graph reply (ours or stale). */
  handle(msg: { kind?: unknown; request_id?: unknown }, buffers: Buf[]): boolean {
    if (msg.kind !== "graph_reply") return false;
    const reply = msg as GraphReply;
    if (reply.request_id !== this.waiting) return true;
    this.waiting = null;
    if (reply.error || !buffers.length) {
      this.h = null;
      this.canvas.clear();
      this.details.replaceChildren();
      this.fail(reply.error ?? "the kernel sent no graph");
      return true;
    }
    const t0 = performance.now();
    // Timings for bench/graph_view.py: kernel round trip, then decode + hierarchy, then layout + draw.
    this.el.dataset.replyMs = (t0 - this.sentAt).toFixed(1);
    try {
      const h = buildHierarchy(decodeGraph(buffers[0]));
      this.h = h;
      this.expanded = initialExpansion(h.root);
      this.layouts.cache.clear();
      this.canvas.selected = null;
      this.el.dataset.hierarchyMs = (performance.now() - t0).toFixed(1);
      this.el.dataset.nodes = String(reply.nodes);
      this.el.dataset.templates = String(h.templates);
      renderDetails(this.details, h, null, () => {});
      void this.redraw(true);
    } catch (err) {
      this.fail(String(err));
    }
    return true;
  }

  private fail(text: string): void {
    this.el.dataset.state = "error";
    this.status.textContent = `error: ${text}`;
    this.onPaint();
  }

  /** Lays out what changed and redraws; calls are queued so layouts never interleave. */
  private redraw(fit: boolean, anchor?: { id: string; screen: { x: number; y: number } | null; reveal?: boolean }): Promise<void> {
    this.queue = this.queue.then(async () => {
      const h = this.h;
      if (!h) return;
      const t0 = performance.now();
      this.el.dataset.state = "layout";
      try {
        const layouts = await this.layouts.layout(h, this.expanded);
        if (h !== this.h) return; // another graph arrived meanwhile
        this.canvas.draw(h, this.expanded, layouts, this.colorBy);
        renderLegend(this.legend, legendEntries(h, [...this.canvas.placed.values()].map((p) => p.node), this.colorBy), this.colorBy);
        if (fit) this.canvas.fit();
        else if (anchor?.screen) this.canvas.moveTo(anchor.id, anchor.screen);
        if (anchor?.reveal) this.canvas.ensureVisible(anchor.id);
        this.renders++;
        const ms = performance.now() - t0;
        this.el.dataset.renders = String(this.renders);
        this.el.dataset.lastMs = ms.toFixed(1);
        this.el.dataset.layoutWhere = this.layouts.lastWhere;
        this.el.dataset.state = "ready";
        this.status.textContent = `${h.data.name.length} nodes · ${this.canvas.placed.size} shown · ${this.layouts.lastJobs} layouts in ${ms.toFixed(0)} ms (${this.layouts.lastWhere || "cached"})`;
        this.onPaint();
      } catch (err) {
        this.fail(String(err));
      }
    });
    return this.queue;
  }

  private onNodeClick(n: GNode, ev: MouseEvent): void {
    const onHead = (ev.target as Element | null)?.closest?.(".nbtb-ghead");
    if (n.kind !== "op" && (!this.expanded.has(n.id) || onHead)) void this.toggle(n);
    this.select(n);
  }

  private select(n: GNode | null): void {
    if (!this.h) return;
    this.canvas.setSelected(n ? n.id : null);
    renderDetails(this.details, this.h, n, (i) => void this.reveal(i));
  }

  /** Opens or closes a group; the clicked box keeps its place on screen. */
  toggle(n: GNode): Promise<void> {
    if (n.kind === "op") return Promise.resolve();
    if (this.expanded.has(n.id)) this.layouts.close(n, this.expanded);
    else this.layouts.open(n, this.expanded);
    return this.redraw(false, { id: n.id, screen: this.canvas.screenOf(n.id), reveal: this.expanded.has(n.id) });
  }

  /** Search result or input/output link: open every scope above the node, centre and select it. */
  async reveal(index: number): Promise<void> {
    const h = this.h;
    if (!h) return;
    const leaf = h.leafOf[index];
    for (const a of ancestors(leaf)) {
      if (a === h.root || this.expanded.has(a.id)) continue;
      this.layouts.open(a, this.expanded);
    }
    this.results.hidden = true;
    await this.redraw(false);
    this.canvas.centerOn(leaf.id);
    for (const old of this.el.querySelectorAll(".nbtb-ghit")) old.classList.remove("nbtb-ghit");
    const p = this.canvas.placed.get(leaf.id);
    p?.el.classList.add("nbtb-ghit");
    this.select(leaf);
  }

  private showResults(): void {
    if (!this.h) return;
    const hits = searchNodes(this.h, this.search.value);
    this.results.replaceChildren(
      ...hits.map((hit) => {
        const b = el("button", "nbtb-gresult", hit.name);
        b.type = "button";
        b.title = `${hit.name} (${this.h?.data.op[hit.index]})`;
        b.dataset.testid = "graph-result";
        b.addEventListener("click", () => void this.reveal(hit.index));
        return b;
      }),
    );
    if (this.search.value.trim() && !hits.length) this.results.append(el("div", "nbtb-empty", "No node matches."));
    this.results.hidden = !this.search.value.trim();
  }

  destroy(): void {
    this.h = null;
    this.layouts.dispose();
  }
}
