/**
 * What the Histograms and Distributions tabs share: one card per tag × run in collapsible
 * sections by tag prefix, data fetched only while a card is on screen (and cached per card),
 * a canvas sized to the card, and a hover tooltip. Tags and run names are text, never HTML.
 */
import "./hist.css";
import { groupTags, makeMatcher } from "./filter";
import type { HistRequests, RunHistograms } from "./histdata";
import type { Theme } from "./theme";
import { collapsibleSection } from "./section";

export interface HistContext {
  hist: HistRequests;
  /** The dashboard's colour of a run (colors.ts colorsOf). */
  color(run: string): string;
  theme(): Theme;
  onPaint(): void;
  /** The global histogram mode (trait `histogram_mode`). */
  mode(): "offset" | "overlay";
  setMode(m: "offset" | "overlay"): void;
}

export interface HistState {
  /** catalog.histograms: tag -> runs that have it. */
  tags: Record<string, string[]>;
  selected: string[];
  tagFilter: string;
}

const PLOT_HEIGHT = 230;

export abstract class HistCardBase {
  readonly el: HTMLDivElement;
  protected readonly head: HTMLDivElement;
  protected readonly tools: HTMLSpanElement;
  protected readonly body: HTMLDivElement;
  protected readonly canvas: HTMLCanvasElement;
  protected readonly tip: HTMLDivElement;
  private readonly note: HTMLDivElement;
  protected data: RunHistograms | null = null;
  private reqId: number | null = null;
  private stale = true;
  private visible = false;
  private resizeObs: ResizeObserver | null = null;
  protected width = 0;
  protected height = PLOT_HEIGHT;
  protected hover: { x: number; y: number } | null = null;

  constructor(
    readonly tag: string,
    readonly run: string,
    protected ctx: HistContext,
    testid: string,
  ) {
    this.el = document.createElement("div");
    this.el.className = "nbtb-card nbtb-hist-card";
    this.el.dataset.testid = testid;
    this.el.dataset.tag = tag;
    this.el.dataset.run = run;
    this.el.dataset.ridges = "0";
    this.head = document.createElement("div");
    this.head.className = "nbtb-card-head";
    const title = document.createElement("span");
    title.className = "nbtb-card-title";
    title.textContent = tag;
    title.title = tag;
    const runLabel = document.createElement("span");
    runLabel.className = "nbtb-hist-run";
    const sw = document.createElement("span");
    sw.className = "nbtb-swatch";
    sw.style.background = this.ctx.color(run);
    const name = document.createElement("span");
    name.textContent = run;
    runLabel.title = run;
    runLabel.append(sw, name);
    this.tools = document.createElement("span");
    this.tools.className = "nbtb-card-tools";
    this.head.append(title, this.tools);
    this.body = document.createElement("div");
    this.body.className = "nbtb-card-body nbtb-hist-body";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "nbtb-hist-canvas";
    this.tip = document.createElement("div");
    this.tip.className = "nbtb-hist-tip";
    this.tip.dataset.testid = "hist-tooltip";
    this.tip.hidden = true;
    this.note = document.createElement("div");
    this.note.className = "nbtb-card-note";
    this.note.textContent = "Loading…";
    this.body.append(this.canvas, this.tip, this.note);
    this.el.append(this.head, runLabel, this.body);
    this.canvas.addEventListener("mousemove", (e) => {
      const r = this.canvas.getBoundingClientRect();
      this.hover = { x: e.clientX - r.left, y: e.clientY - r.top };
      this.paint();
    });
    this.canvas.addEventListener("mouseleave", () => {
      this.hover = null;
      this.tip.hidden = true;
      this.paint();
    });
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObs = new ResizeObserver(() => {
        if (Math.floor(this.body.clientWidth) !== this.width) this.paint();
      });
      this.resizeObs.observe(this.body);
    }
  }

  setVisible(v: boolean): void {
    this.visible = v;
    if (v && this.stale) this.request();
  }

  invalidate(): void {
    this.stale = true;
    if (this.visible) this.request();
  }

  /** A reload may have brought new steps: visible cards ask, telling what they have (so an
   * unchanged series costs no bytes); hidden ones ask when they come into view. */
  refresh(): void {
    this.stale = true;
    if (this.visible) this.request(true);
  }

  private request(withKnown = false): void {
    this.stale = false;
    this.ctx.hist.cancel(this.reqId);
    const have = this.data;
    const known =
      withKnown && have ? { count: have.step.length, last: have.step.length ? have.step[have.step.length - 1] : 0 } : undefined;
    this.reqId = this.ctx.hist.request(
      this.tag,
      [this.run],
      (runs, complete, unchanged) => {
        if (complete) this.reqId = null;
        if (unchanged) return;
        this.data = runs.find((r) => r.run === this.run) ?? null;
        this.dataChanged();
        this.paint();
      },
      known,
    );
  }

  /** New data arrived: recompute what drawing needs. */
  protected abstract dataChanged(): void;
  /** Draws into a 2D context of CSS size w × h; returns the number of ridges / steps drawn. */
  protected abstract draw(g: CanvasRenderingContext2D, w: number, h: number, theme: Theme): number;

  paint(): void {
    if (!this.data) return;
    if (this.data.step.length === 0) {
      this.note.textContent = "No histograms.";
      this.note.hidden = false;
      this.ctx.onPaint();
      return;
    }
    this.note.hidden = true;
    const w = Math.max(120, Math.floor(this.body.clientWidth || 320));
    this.width = w;
    const h = this.height;
    const dpr = (typeof devicePixelRatio === "number" && devicePixelRatio) || 1;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${h}px`;
    }
    const g = this.canvas.getContext("2d");
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const theme = this.ctx.theme();
    g.font = theme.font;
    const drawn = this.draw(g, w, h, theme);
    this.el.dataset.ridges = String(drawn);
    this.ctx.onPaint();
  }

  /** Shows the tooltip's lines (as text) near the pointer. */
  protected showTip(lines: string[], x: number, y: number): void {
    this.tip.replaceChildren(
      ...lines.map((l) => {
        const d = document.createElement("div");
        d.textContent = l;
        return d;
      }),
    );
    this.tip.hidden = false;
    const left = x + 12 + 160 > this.width ? Math.max(0, x - 170) : x + 12;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${Math.max(0, y - 10)}px`;
  }

  protected hideTip(): void {
    this.tip.hidden = true;
  }

  destroy(): void {
    this.ctx.hist.cancel(this.reqId);
    this.resizeObs?.disconnect();
    this.el.remove();
  }
}

export class HistTab<C extends HistCardBase> {
  readonly el: HTMLDivElement;
  protected cards = new Map<string, C>();
  private sections = new Map<string, HTMLElement>();
  private collapsed = new Set<string>();
  private io: IntersectionObserver | null = null;
  private empty: HTMLDivElement;
  protected toolbar: HTMLDivElement;

  constructor(
    protected ctx: HistContext,
    private make: (tag: string, run: string) => C,
    private what: string,
  ) {
    this.el = document.createElement("div");
    this.el.className = "nbtb-hist-tab";
    this.toolbar = document.createElement("div");
    this.toolbar.className = "nbtb-hist-toolbar";
    this.empty = document.createElement("div");
    this.empty.className = "nbtb-empty";
    if (typeof IntersectionObserver !== "undefined") {
      this.io = new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            const d = (e.target as HTMLElement).dataset;
            this.cards.get(`${d.tag}\u0000${d.run}`)?.setVisible(e.isIntersecting);
          }
        },
        { rootMargin: "300px 0px" },
      );
    }
  }

  get size(): number {
    return this.cards.size;
  }

  update(state: HistState): void {
    const selected = new Set(state.selected);
    const match = makeMatcher(state.tagFilter);
    const runsOf = (tag: string) => (state.tags[tag] ?? []).filter((r) => selected.has(r)).sort();
    const groups = groupTags(Object.keys(state.tags), (t) => match(t) && runsOf(t).length > 0);
    const wanted = new Set<string>();
    const order: HTMLElement[] = [];
    for (const [group, tags] of groups) {
      const section = this.section(group);
      const grid = section.querySelector(".nbtb-grid") as HTMLElement;
      const els: HTMLElement[] = [];
      for (const tag of tags) {
        for (const run of runsOf(tag)) {
          const key = `${tag}\u0000${run}`;
          wanted.add(key);
          let card = this.cards.get(key);
          if (!card) {
            card = this.make(tag, run);
            this.cards.set(key, card);
            this.io?.observe(card.el);
          }
          els.push(card.el);
        }
      }
      (section.querySelector(".nbtb-section-count") as HTMLElement).textContent = String(els.length);
      grid.replaceChildren(...els);
      order.push(section);
    }
    for (const [key, card] of this.cards) {
      if (wanted.has(key)) continue;
      this.io?.unobserve(card.el);
      card.destroy();
      this.cards.delete(key);
    }
    for (const [g, s] of this.sections) if (!groups.has(g)) (s.remove(), this.sections.delete(g));
    const total = Object.keys(state.tags).length;
    this.empty.textContent =
      total === 0 ? `No ${this.what} data in this logdir yet.` : groups.size === 0 ? "No tags match the filter or the selected runs." : "";
    this.empty.hidden = this.empty.textContent === "";
    this.el.replaceChildren(this.toolbar, this.empty, ...order);
    if (!this.io) for (const c of this.cards.values()) c.setVisible(true);
    if (this.cards.size === 0) this.ctx.onPaint();
  }

  private section(group: string): HTMLElement {
    let s = this.sections.get(group);
    if (!s) {
      s = collapsibleSection(group, this.collapsed);
      this.sections.set(group, s);
    }
    return s;
  }

  themeChanged(): void {
    for (const c of this.cards.values()) c.paint();
  }

  /** Data changed on the kernel side (reload): refetch visible cards. */
  invalidate(): void {
    for (const c of this.cards.values()) c.invalidate();
  }

  /** A reload happened: visible cards check for new steps (sending what they have). */
  refresh(): void {
    for (const c of this.cards.values()) c.refresh();
  }

  destroy(): void {
    this.io?.disconnect();
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.el.remove();
  }
}
