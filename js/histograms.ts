/**
 * The Histograms tab: one card per tag × run. Every step's histogram is rebinned onto the
 * run's 30 common bins (js/rebin.ts) and drawn as a ridge: in *offset* mode stacked along a
 * step axis (oldest at the back, fading; newest in front at the bottom), in *overlay* mode all
 * on one baseline, coloured by step. Hover names the step, the bin range and its count.
 */
import { formatValue } from "./axes";
import { sampleIndices } from "./histdata";
import { HistCardBase, type HistContext, HistTab } from "./histtab";
import { type Rebinned, rebin } from "./rebin";
import { niceTicks, ridgeLayout, stepColor } from "./ridges";
import type { Theme } from "./theme";

export type HistogramMode = "offset" | "overlay";
/** TensorBoard keeps at most 500 histograms per run and tag; so do we, evenly spread. */
export const MAX_RIDGES = 500;
const M = { top: 8, right: 46, bottom: 20, left: 8 };

export function isHistogramMode(v: unknown): v is HistogramMode {
  return v === "offset" || v === "overlay";
}

export class HistogramCard extends HistCardBase {
  private override: HistogramMode | null = null;
  private bins: Rebinned | null = null;
  private idx: number[] = [];
  private maxCount = 0;
  private readonly modeBtn: HTMLButtonElement;

  constructor(tag: string, run: string, ctx: HistContext) {
    super(tag, run, ctx, "hist-card");
    this.modeBtn = document.createElement("button");
    this.modeBtn.type = "button";
    this.modeBtn.className = "nbtb-icon-btn";
    this.modeBtn.dataset.testid = "hist-mode";
    this.modeBtn.title = "Switch this card between offset and overlay";
    this.modeBtn.addEventListener("click", () => {
      this.override = this.mode() === "offset" ? "overlay" : "offset";
      this.modeChanged();
    });
    this.tools.append(this.modeBtn);
    this.modeChanged();
  }

  mode(): HistogramMode {
    return this.override ?? this.ctx.mode();
  }

  /** The global mode changed: it applies to every card again. */
  globalModeChanged(): void {
    this.override = null;
    this.modeChanged();
  }

  private modeChanged(): void {
    const m = this.mode();
    this.el.dataset.mode = m;
    this.modeBtn.textContent = m === "offset" ? "Offset" : "Overlay";
    this.modeBtn.setAttribute("aria-label", `Mode: ${m} (click to switch)`);
    this.paint();
  }

  protected dataChanged(): void {
    const d = this.data;
    if (!d) return;
    this.idx = sampleIndices(d.step.length, MAX_RIDGES);
    this.bins = rebin(this.idx.map((i) => d.hists[i]));
    let mx = 0;
    for (const c of this.bins.counts) for (const v of c) if (v > mx) mx = v;
    this.maxCount = mx;
  }

  protected draw(g: CanvasRenderingContext2D, w: number, h: number, theme: Theme): number {
    const d = this.data;
    const b = this.bins;
    if (!d || !b) return 0;
    const n = this.idx.length;
    const steps = this.idx.map((i) => d.step[i]);
    const mode = this.mode();
    const plotW = w - M.left - M.right;
    const plotH = h - M.top - M.bottom;
    const lay = ridgeLayout(steps, M.top, plotH, mode);
    const x0 = b.left;
    const x1 = b.left + b.binCount * b.dx;
    const sx = (v: number) => M.left + ((v - x0) / (x1 - x0 || 1)) * plotW;
    const sy = (c: number) => (this.maxCount > 0 ? (c / this.maxCount) * lay.height : 0);
    const color = this.ctx.color(this.run);

    // axes: value ticks at the bottom, step ticks on the right (offset mode)
    g.fillStyle = theme.fg;
    g.strokeStyle = theme.grid;
    g.lineWidth = 1;
    g.textAlign = "center";
    g.textBaseline = "top";
    for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(plotW / 70)))) {
      const x = sx(t);
      g.beginPath();
      g.moveTo(x, M.top);
      g.lineTo(x, M.top + plotH);
      g.stroke();
      g.fillText(formatValue(t), x, M.top + plotH + 4);
    }
    if (mode === "offset" && n > 0) {
      g.textAlign = "left";
      g.textBaseline = "middle";
      const s0 = steps[0];
      const s1 = steps[n - 1];
      const ticks = s1 > s0 ? niceTicks(s0, s1, 4).filter((t) => Number.isInteger(t)) : [s0];
      for (const t of ticks) {
        const f = s1 > s0 ? (t - s0) / (s1 - s0) : 1;
        const y = M.top + lay.height + f * (plotH - lay.height);
        g.beginPath();
        g.moveTo(M.left + plotW, y);
        g.lineTo(M.left + plotW + 4, y);
        g.stroke();
        g.fillText(String(t), M.left + plotW + 6, y);
      }
    }

    // ridges, oldest first so newer ones are drawn in front
    const pathOf = (k: number) => {
      const c = b.counts[k];
      const base = lay.baseline[k];
      g.beginPath();
      g.moveTo(sx(x0), base);
      for (let i = 0; i < b.binCount; i++) g.lineTo(sx(x0 + (i + 0.5) * b.dx), base - sy(c[i]));
      g.lineTo(sx(x1), base);
    };
    for (let k = 0; k < n; k++) {
      const f = n > 1 ? k / (n - 1) : 1;
      pathOf(k);
      if (mode === "offset") {
        g.globalAlpha = 1;
        g.fillStyle = theme.bg; // hides the ridges behind
        g.fill();
        g.globalAlpha = 0.15 + 0.45 * f;
        g.fillStyle = color;
        g.fill();
        g.globalAlpha = 0.3 + 0.7 * f;
        g.strokeStyle = color;
      } else {
        g.globalAlpha = 1;
        g.strokeStyle = stepColor(color, k, n, theme.bg, theme.fg);
      }
      g.lineWidth = 1;
      g.stroke();
    }
    g.globalAlpha = 1;
    this.drawHover(g, lay.baseline, sx, sy, steps, plotW);
    return n;
  }

  private drawHover(
    g: CanvasRenderingContext2D,
    baseline: Float64Array,
    sx: (v: number) => number,
    sy: (c: number) => number,
    steps: number[],
    plotW: number,
  ): void {
    const b = this.bins;
    const p = this.hover;
    if (!p || !b || b.binCount === 0 || steps.length === 0) return this.hideTip();
    const bin = Math.floor(((p.x - M.left) / plotW) * b.binCount);
    if (bin < 0 || bin >= b.binCount) return this.hideTip();
    // the ridge whose curve at this bin is nearest the pointer
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < steps.length; k++) {
      const dist = Math.abs(baseline[k] - sy(b.counts[k][bin]) - p.y);
      if (dist <= bestD) {
        bestD = dist;
        best = k;
      }
    }
    const lo = b.left + bin * b.dx;
    const hi = lo + b.dx;
    const count = b.counts[best][bin];
    const x = sx(lo + b.dx / 2);
    const y = baseline[best] - sy(count);
    g.fillStyle = this.ctx.color(this.run);
    g.beginPath();
    g.arc(x, y, 3.5, 0, 2 * Math.PI);
    g.fill();
    this.showTip([`step ${steps[best]}`, `bin [${formatValue(lo)}, ${formatValue(hi)})`, `count ${formatValue(count)}`], p.x, p.y);
  }
}

export class HistogramsTab extends HistTab<HistogramCard> {
  private modeSelect: HTMLSelectElement;

  constructor(ctx: HistContext) {
    super(ctx, (tag, run) => new HistogramCard(tag, run, ctx), "histogram");
    const label = document.createElement("label");
    label.textContent = "Histogram mode ";
    this.modeSelect = document.createElement("select");
    this.modeSelect.dataset.testid = "histogram-mode";
    for (const [v, t] of [
      ["offset", "Offset"],
      ["overlay", "Overlay"],
    ]) {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = t;
      this.modeSelect.append(o);
    }
    this.modeSelect.value = ctx.mode();
    this.modeSelect.addEventListener("change", () => {
      if (isHistogramMode(this.modeSelect.value)) ctx.setMode(this.modeSelect.value);
    });
    label.append(this.modeSelect);
    this.toolbar.append(label);
  }

  /** Trait `histogram_mode` changed. */
  modeChanged(): void {
    this.modeSelect.value = this.ctx.mode();
    for (const c of this.cards.values()) c.globalModeChanged();
  }
}
