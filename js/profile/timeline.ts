/**
 * The trace timeline on one canvas: a step band (ProfilerStep#N), a time axis, then one lane per
 * process / thread / GPU stream with a row per nesting depth. Wheel zooms at the cursor, drag
 * pans (both axes), WASD zooms and pans like Chrome's trace viewer, Shift+wheel scrolls lanes,
 * Shift+drag (or Select mode) selects a time range. Blocks come from lod.ts, so a frame costs
 * about a block per pixel per row whatever the trace's size. Names reach the page only as
 * canvas text and tooltip textContent.
 */
import { el } from "../dom";
import type { Theme } from "../theme";
import { buildRows, eventAt, type Row, visibleBlocks } from "./lod";
import { formatUs } from "./selection";
import type { ProfileData } from "./wire";

const GUTTER = 170;
const STEP_BAND = 18;
const AXIS = 18;
const TOP = STEP_BAND + AXIS;
const ROW = 16;
const LANE_GAP = 8;
const MAX_HEIGHT = 560;
const FRAMES_KEPT = 2000;

// Chrome's trace viewer palette (a subset): readable on light and dark backgrounds.
const PALETTE = [
  "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
  "#9c755f", "#79706e", "#86bcb6", "#d37295", "#8cd17d", "#b6992d", "#499894", "#a0cbe8",
];

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) % PALETTE.length;
}

export interface TimelineEvents {
  /** The visible range changed (µs, relative to the profile's first event). */
  onView(t0: number, t1: number): void;
  /** A range was selected. */
  onSelect(a: number, b: number): void;
  /** Asks the kernel for an event's args (tooltip). */
  fetchArgs(index: number): Promise<Record<string, unknown> | null>;
  onPaint(): void;
}

/** "Nice" tick step (1, 2, 5 × 10^k) for about `n` ticks over `span`. */
export function tickStep(span: number, n: number): number {
  const raw = span / Math.max(n, 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

export class Timeline {
  readonly el: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLDivElement;
  private rows: Row[] = [];
  private rowAt = new Map<number, Row>(); // lane * 256 + depth -> row
  private laneY: number[] = [];
  private contentH = 0;
  private colors = new Uint8Array(0);
  private stepLabel = "step ";
  private told: [number, number] = [NaN, NaN]; // the view onView last reported
  private t0 = 0;
  private t1 = 1;
  private scrollY = 0;
  private width = 600;
  private height = 200;
  private raf = 0;
  private drag: { x: number; y: number; t0: number; t1: number; scrollY: number; select: boolean; moved: boolean } | null = null;
  private sel: [number, number] | null = null;
  private hover: { x: number; y: number } | null = null;
  private hoverIndex = -1;
  private argsTimer = 0;
  private resizeObs: ResizeObserver | null = null;
  mode: "pan" | "select" = "pan";
  /** Draw times (ms) of the last frames, for bench/profile_view.py. */
  readonly frameTimes: number[] = [];
  blocksDrawn = 0;

  constructor(
    private d: ProfileData,
    private theme: () => Theme,
    private events: TimelineEvents,
  ) {
    this.el = el("div", "nbtb-prof-timeline");
    this.el.dataset.testid = "profile-timeline";
    this.canvas = el("canvas", "nbtb-prof-canvas");
    this.canvas.tabIndex = 0; // W/A/S/D once clicked (focus is not taken on hover: it would leave a cell editor)
    this.canvas.dataset.lmSuppressShortcuts = "true"; // Lumino leaves keys in here to us
    this.canvas.setAttribute("aria-label", "Trace timeline: wheel to zoom, drag to pan, W A S D, Shift+drag to select");
    this.tip = el("div", "nbtb-prof-tip");
    this.tip.dataset.testid = "profile-tooltip";
    this.tip.hidden = true;
    this.el.append(this.canvas, this.tip);
    Object.defineProperty(this.el, "nbtbFrameTimes", { value: this.frameTimes });
    this.setData(d);
    this.bind();
  }

  setData(d: ProfileData): void {
    this.d = d;
    const began = performance.now();
    this.rows = buildRows(d);
    this.el.dataset.buildMs = (performance.now() - began).toFixed(1); // bench/profile_view.py
    this.rowAt.clear();
    for (const r of this.rows) this.rowAt.set(r.lane * 256 + r.depth, r);
    this.laneY = [];
    let y = 0;
    for (const lane of d.lanes) {
      this.laneY.push(y);
      y += Math.max(lane.depth, 1) * ROW + LANE_GAP;
    }
    this.laneY.push(y);
    this.contentH = y;
    this.colors = Uint8Array.from(d.names, hashName);
    // torch marks steps with ProfilerStep#N spans; XPlane with step_num stats
    this.stepLabel = d.names.some((n) => n.startsWith("ProfilerStep#")) ? "ProfilerStep#" : "step ";
    this.resetView();
  }

  resetView(): void {
    const pad = Math.max(this.d.span * 0.01, 1e-3);
    this.setView(-pad, Math.max(this.d.span, 1e-3) + pad);
    this.scrollY = 0;
  }

  get view(): [number, number] {
    return [this.t0, this.t1];
  }

  setView(t0: number, t1: number): void {
    const total = Math.max(this.d.span, 1e-3);
    let span = t1 - t0;
    let a = t0;
    const clamped = Math.min(Math.max(span, 1e-3), total * 4);
    if (clamped !== span) {
      a = (t0 + t1) / 2 - clamped / 2; // zoom limits keep the centre
      span = clamped;
    }
    a = Math.min(Math.max(a, -span * 0.9), total - span * 0.1); // keep some of the trace on screen
    this.t0 = a;
    this.t1 = a + span;
    this.el.dataset.viewStart = String(this.t0);
    this.el.dataset.viewEnd = String(this.t1);
    this.requestDraw(); // the draw tells onView, once per frame: the memory chart's cost is in it
  }

  private plotW(): number {
    return Math.max(this.width - GUTTER, 10);
  }

  /** Time (µs) at canvas x (CSS px). */
  timeAt(x: number): number {
    return this.t0 + ((x - GUTTER) / this.plotW()) * (this.t1 - this.t0);
  }

  zoomAt(x: number, factor: number): void {
    const tc = this.timeAt(Math.min(Math.max(x, GUTTER), this.width));
    this.setView(tc - (tc - this.t0) * factor, tc + (this.t1 - tc) * factor);
  }

  panBy(fraction: number): void {
    const dt = (this.t1 - this.t0) * fraction;
    this.setView(this.t0 + dt, this.t1 + dt);
  }

  private scrollBy(dy: number): void {
    const maxScroll = Math.max(0, this.contentH - (this.height - TOP));
    this.scrollY = Math.min(Math.max(this.scrollY + dy, 0), maxScroll);
    this.requestDraw();
  }

  private bind(): void {
    const c = this.canvas;
    const pos = (e: MouseEvent) => {
      const r = c.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    c.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const p = pos(e);
        const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
        if (e.shiftKey) this.scrollBy(delta);
        else this.zoomAt(p.x, Math.exp(Math.max(Math.min(delta, 300), -300) * 0.002));
      },
      { passive: false },
    );
    c.addEventListener("mousedown", (e) => {
      if (e.button !== 0) return;
      c.focus({ preventScroll: true });
      const p = pos(e);
      this.drag = { ...p, t0: this.t0, t1: this.t1, scrollY: this.scrollY, select: this.mode === "select" || e.shiftKey, moved: false };
      e.preventDefault();
    });
    const move = (e: MouseEvent) => {
      const p = pos(e);
      const dr = this.drag;
      if (dr) {
        if (Math.abs(p.x - dr.x) + Math.abs(p.y - dr.y) > 3) dr.moved = true;
        if (dr.select) {
          const a = this.timeAt(dr.x);
          const b = this.timeAt(p.x);
          this.sel = [Math.min(a, b), Math.max(a, b)];
          this.requestDraw();
        } else if (dr.moved) {
          const dt = ((p.x - dr.x) / this.plotW()) * (dr.t1 - dr.t0);
          this.scrollY = dr.scrollY;
          this.scrollBy(dr.y - p.y);
          this.setView(dr.t0 - dt, dr.t1 - dt);
        }
        return;
      }
      if (e.target === c) {
        this.hover = p;
        this.updateHover();
      }
    };
    const up = (e: MouseEvent) => {
      const dr = this.drag;
      if (!dr) return;
      this.drag = null;
      if (dr.select && dr.moved && this.sel) this.events.onSelect(this.sel[0], this.sel[1]);
      else if (dr.select) this.sel = null;
      move(e);
      this.requestDraw();
    };
    c.addEventListener("mousemove", move);
    const winMove = (e: MouseEvent) => {
      if (this.drag) move(e);
    };
    window.addEventListener("mousemove", winMove);
    window.addEventListener("mouseup", up);
    this.cleanups.push(() => {
      window.removeEventListener("mousemove", winMove);
      window.removeEventListener("mouseup", up);
    });
    c.addEventListener("mouseleave", () => {
      this.hover = null;
      this.tip.hidden = true;
      this.hoverIndex = -1;
    });
    c.addEventListener("keydown", (e) => {
      const k = e.key.toLowerCase();
      const x = this.hover?.x ?? GUTTER + this.plotW() / 2;
      if (k === "w") this.zoomAt(x, 0.8);
      else if (k === "s") this.zoomAt(x, 1.25);
      else if (k === "a") this.panBy(-0.1);
      else if (k === "d") this.panBy(0.1);
      else if (k === "0") this.resetView();
      else return;
      e.preventDefault();
      e.stopPropagation(); // not JupyterLab's command-mode shortcuts ("a" inserts a cell, "d d" deletes)
    });
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObs = new ResizeObserver(() => this.requestDraw());
      this.resizeObs.observe(this.el);
    }
  }

  private cleanups: (() => void)[] = [];

  clearSelection(): void {
    this.sel = null;
    this.requestDraw();
  }

  selectRange(a: number, b: number): void {
    this.sel = [Math.min(a, b), Math.max(a, b)];
    this.events.onSelect(this.sel[0], this.sel[1]);
    this.requestDraw();
  }

  requestDraw(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.draw();
    });
  }

  /** The row at canvas y, or null. */
  private rowAtY(y: number): Row | null {
    const cy = y - TOP + this.scrollY;
    if (y < TOP || cy < 0) return null;
    let lo = 0;
    let hi = this.d.lanes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.laneY[mid + 1] <= cy) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= this.d.lanes.length) return null;
    const depth = Math.floor((cy - this.laneY[lo]) / ROW);
    return this.rowAt.get(lo * 256 + depth) ?? null;
  }

  private updateHover(): void {
    const h = this.hover;
    const row = h ? this.rowAtY(h.y) : null;
    if (!h || !row || h.x < GUTTER) {
      this.tip.hidden = true;
      this.hoverIndex = -1;
      return;
    }
    const t = this.timeAt(h.x);
    const tol = (2 * (this.t1 - this.t0)) / this.plotW();
    const i = eventAt(this.d, row, t, tol);
    if (i < 0) {
      this.tip.hidden = true;
      this.hoverIndex = -1;
      return;
    }
    this.positionTip(h);
    if (i === this.hoverIndex) return;
    this.hoverIndex = i;
    const d = this.d;
    const lane = d.lanes[d.lane[i]];
    const lines = [
      d.names[d.name[i]],
      `${d.cats[d.cat[i]] ?? ""} · ${lane ? `${lane.process} / ${lane.thread}` : ""}`,
      `duration ${formatUs(d.dur[i])} · self ${formatUs(d.self[i])}`,
      `start ${formatUs(d.start[i])}`,
    ];
    this.tip.replaceChildren(...lines.map((l, k) => el("div", k === 0 ? "nbtb-prof-tip-name" : "", l)));
    this.tip.dataset.index = String(i);
    this.tip.hidden = false;
    window.clearTimeout(this.argsTimer);
    this.argsTimer = window.setTimeout(() => {
      void this.events.fetchArgs(i).then((args) => {
        if (this.hoverIndex !== i || !args) return;
        const entries = Object.entries(args).slice(0, 12);
        for (const [k, v] of entries) {
          const text = typeof v === "string" ? v : JSON.stringify(v);
          this.tip.append(el("div", "nbtb-prof-tip-arg", `${k}: ${String(text).slice(0, 160)}`));
        }
        this.tip.dataset.args = String(entries.length);
      });
    }, 120);
  }

  private positionTip(h: { x: number; y: number }): void {
    const left = h.x + 14 + 280 > this.width ? Math.max(0, h.x - 290) : h.x + 14;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${h.y + 14}px`;
  }

  draw(): void {
    const began = performance.now();
    if (this.told[0] !== this.t0 || this.told[1] !== this.t1) {
      this.told = [this.t0, this.t1];
      this.events.onView(this.t0, this.t1);
    }
    const w = Math.max(200, Math.floor(this.el.clientWidth || 800));
    const h = Math.min(MAX_HEIGHT, TOP + this.contentH + 4);
    this.width = w;
    this.height = h;
    const dpr = (typeof devicePixelRatio === "number" && devicePixelRatio) || 1;
    const c = this.canvas;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    const g = c.getContext("2d");
    if (!g) return;
    const theme = this.theme();
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = "11px sans-serif";
    g.textBaseline = "middle";
    const pw = this.plotW();
    const pxPerUs = pw / (this.t1 - this.t0);
    const X = (t: number) => GUTTER + (t - this.t0) * pxPerUs;
    const d = this.d;

    // -- lanes (clipped below the bands and right of the gutter) --
    let blocks = 0;
    g.save();
    g.beginPath();
    g.rect(GUTTER, TOP, pw, h - TOP);
    g.clip();
    const labels: [string, number, number, number][] = [];
    for (let li = 0; li < d.lanes.length; li++) {
      const ly = TOP + this.laneY[li] - this.scrollY;
      if (ly > h || TOP + this.laneY[li + 1] - this.scrollY < TOP) continue;
      g.fillStyle = theme.grid;
      g.fillRect(GUTTER, ly + this.laneY[li + 1] - this.laneY[li] - LANE_GAP / 2, pw, 1);
      for (let depth = 0; depth < d.lanes[li].depth; depth++) {
        const y = ly + depth * ROW;
        if (y + ROW < TOP || y > h) continue;
        const row = this.rowAt.get(li * 256 + depth);
        if (!row) continue;
        blocks += visibleBlocks(d, row, this.t0, this.t1, pxPerUs, (x0, x1, rep, count) => {
          g.fillStyle = PALETTE[this.colors[d.name[rep]]];
          const bx = GUTTER + x0;
          g.fillRect(bx, y + 1, x1 - x0 - (x1 - x0 > 3 ? 0.5 : 0), ROW - 2);
          if (count === 1 && x1 - x0 > 36) labels.push([d.names[d.name[rep]], bx, x1 - x0, y + ROW / 2]);
        });
      }
    }
    g.fillStyle = "#fff";
    for (const [name, x, bw, y] of labels) {
      const left = Math.max(x, GUTTER) + 3;
      const room = Math.min(x + bw, w) - left - 3;
      if (room < 20) continue;
      const chars = Math.floor(room / 6.2);
      g.fillText(name.length > chars ? `${name.slice(0, Math.max(chars - 1, 1))}…` : name, left, y);
    }
    // selection overlay
    if (this.sel) {
      g.fillStyle = theme.dark ? "rgba(120,170,255,0.18)" : "rgba(30,90,200,0.14)";
      g.fillRect(X(this.sel[0]), TOP, X(this.sel[1]) - X(this.sel[0]), h - TOP);
    }
    g.restore();

    // -- gutter: lane labels --
    g.fillStyle = theme.bg;
    g.fillRect(0, TOP, GUTTER, h - TOP);
    g.fillStyle = theme.fg;
    for (let li = 0; li < d.lanes.length; li++) {
      const ly = TOP + this.laneY[li] - this.scrollY;
      if (ly < TOP - ROW || ly > h) continue;
      const lane = d.lanes[li];
      const text = `${lane.process} / ${lane.thread}`;
      g.fillText(text.length > 27 ? `${text.slice(0, 26)}…` : text, 4, Math.max(ly, TOP) + ROW / 2);
    }

    // -- step band and axis --
    g.fillStyle = theme.bg;
    g.fillRect(0, 0, w, TOP);
    g.save();
    g.beginPath();
    g.rect(GUTTER, 0, pw, TOP);
    g.clip();
    d.steps.forEach((s, k) => {
      const x0 = X(s.start);
      const x1 = X(s.end);
      if (x1 < GUTTER || x0 > w) return;
      g.fillStyle = k % 2 ? "rgba(120,120,120,0.28)" : "rgba(120,120,120,0.16)";
      g.fillRect(x0, 1, Math.max(x1 - x0, 1), STEP_BAND - 2);
      if (x1 - x0 > 70) {
        g.fillStyle = theme.fg;
        g.fillText(`${this.stepLabel}${s.step}`, Math.max(x0, GUTTER) + 3, STEP_BAND / 2);
      }
    });
    const step = tickStep(this.t1 - this.t0, pw / 110);
    g.fillStyle = theme.fg;
    g.strokeStyle = theme.grid;
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const x = X(t);
      g.fillRect(x, STEP_BAND, 1, AXIS);
      g.fillText(formatUs(t), x + 3, STEP_BAND + AXIS / 2);
    }
    g.restore();
    g.fillStyle = theme.fg;
    g.fillText(d.steps.length ? "Steps" : "", 4, STEP_BAND / 2);
    g.fillText(`${formatUs(this.t1 - this.t0)} shown`, 4, STEP_BAND + AXIS / 2);
    g.fillStyle = theme.grid;
    g.fillRect(0, TOP - 1, w, 1);

    this.blocksDrawn = blocks;
    const ms = performance.now() - began;
    this.frameTimes.push(ms);
    if (this.frameTimes.length > FRAMES_KEPT) this.frameTimes.splice(0, this.frameTimes.length - FRAMES_KEPT);
    this.el.dataset.blocks = String(blocks);
    this.el.dataset.frames = String(Number(this.el.dataset.frames ?? 0) + 1);
    if (this.hover && !this.drag) this.updateHover();
    this.events.onPaint();
  }

  destroy(): void {
    cancelAnimationFrame(this.raf);
    window.clearTimeout(this.argsTimer);
    this.resizeObs?.disconnect();
    for (const c of this.cleanups) c();
    this.el.remove();
  }
}
