/**
 * The Distributions tab: per tag × run, TensorBoard's compressed histograms over steps
 * (js/compress.ts: the value at 9 basis points of the cumulative count), drawn as 8 filled
 * bands (darker toward the median) and the median line.
 */
import { formatValue, nearestIndex } from "./axes";
import { compressHistogram, NORMAL_HISTOGRAM_BPS } from "./compress";
import { HistCardBase, type HistContext, HistTab } from "./histtab";
import { bandAlpha, niceTicks } from "./ridges";
import type { Theme } from "./theme";

const M = { top: 8, right: 10, bottom: 20, left: 48 };

export class DistributionCard extends HistCardBase {
  /** values[k * 9 + j]: step k's value at basis point j. */
  private values = new Float64Array(0);
  private steps: Float64Array<ArrayBufferLike> = new Float64Array(0);

  constructor(tag: string, run: string, ctx: HistContext) {
    super(tag, run, ctx, "dist-card");
  }

  protected dataChanged(): void {
    const d = this.data;
    if (!d) return;
    const nb = NORMAL_HISTOGRAM_BPS.length;
    this.steps = d.step;
    this.values = new Float64Array(d.step.length * nb);
    d.hists.forEach((h, k) => this.values.set(compressHistogram(h.left, h.right, h.count), k * nb));
  }

  protected draw(g: CanvasRenderingContext2D, w: number, h: number, theme: Theme): number {
    const n = this.steps.length;
    const nb = NORMAL_HISTOGRAM_BPS.length;
    if (n === 0) return 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of this.values) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) [lo, hi] = Number.isFinite(lo) ? [lo - 1, lo + 1] : [-1, 1];
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    const s0 = this.steps[0];
    const s1 = this.steps[n - 1];
    const plotW = w - M.left - M.right;
    const plotH = h - M.top - M.bottom;
    const sx = (s: number) => M.left + (s1 > s0 ? ((s - s0) / (s1 - s0)) * plotW : plotW / 2);
    const sy = (v: number) => M.top + plotH - ((v - lo) / (hi - lo)) * plotH;

    g.strokeStyle = theme.grid;
    g.fillStyle = theme.fg;
    g.lineWidth = 1;
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (const t of niceTicks(lo, hi, 5)) {
      const y = sy(t);
      g.beginPath();
      g.moveTo(M.left, y);
      g.lineTo(M.left + plotW, y);
      g.stroke();
      g.fillText(formatValue(t), M.left - 4, y);
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    for (const t of s1 > s0 ? niceTicks(s0, s1, Math.max(2, Math.floor(plotW / 70))).filter(Number.isInteger) : [s0]) {
      g.fillText(String(t), sx(t), M.top + plotH + 4);
    }

    const color = this.ctx.color(this.run);
    const v = (k: number, j: number) => this.values[k * nb + j];
    // a single step is drawn as a short column so it stays visible
    const xs = n === 1 ? [sx(s0) - 3, sx(s0) + 3] : Array.from(this.steps, sx);
    const at = (i: number) => (n === 1 ? 0 : i);
    g.fillStyle = color;
    for (let j = 0; j < nb - 1; j++) {
      g.globalAlpha = bandAlpha(j, nb - 1);
      g.beginPath();
      xs.forEach((x, i) => (i ? g.lineTo(x, sy(v(at(i), j + 1))) : g.moveTo(x, sy(v(at(i), j + 1)))));
      for (let i = xs.length - 1; i >= 0; i--) g.lineTo(xs[i], sy(v(at(i), j)));
      g.closePath();
      g.fill();
    }
    g.globalAlpha = 1;
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.beginPath();
    const mid = (nb - 1) / 2;
    xs.forEach((x, i) => (i ? g.lineTo(x, sy(v(at(i), mid))) : g.moveTo(x, sy(v(at(i), mid)))));
    g.stroke();

    const p = this.hover;
    if (p && p.x >= M.left && p.x <= M.left + plotW) {
      const s = s0 + ((p.x - M.left) / (plotW || 1)) * (s1 - s0);
      const k = nearestIndex(this.steps, s);
      const x = sx(this.steps[k]);
      g.strokeStyle = theme.fg;
      g.globalAlpha = 0.4;
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(x, M.top);
      g.lineTo(x, M.top + plotH);
      g.stroke();
      g.globalAlpha = 1;
      this.showTip(
        [
          `step ${this.steps[k]}`,
          `median ${formatValue(v(k, mid))}`,
          `±1σ [${formatValue(v(k, 2))}, ${formatValue(v(k, 6))}]`,
          `min ${formatValue(v(k, 0))} · max ${formatValue(v(k, nb - 1))}`,
        ],
        p.x,
        p.y,
      );
    } else this.hideTip();
    this.el.dataset.bands = String(nb - 1);
    return n;
  }
}

export class DistributionsTab extends HistTab<DistributionCard> {
  constructor(ctx: HistContext) {
    super(ctx, (tag, run) => new DistributionCard(tag, run, ctx), "histogram");
  }
}
