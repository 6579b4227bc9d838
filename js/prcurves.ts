/**
 * The PR curves tab: per tag × run, the precision–recall curve of the chosen step (from the
 * `pr_curves` tensors: rows TP, FP, TN, FN, precision, recall over thresholds), drawn on a
 * canvas with the step slider; hover names threshold, precision and recall.
 */
import { el, type MediaContext, type MediaReply, MediaTab, type Renderer } from "./media";
import { toFloat64 } from "./protocol";
import type { Buf } from "./protocol";


export interface PrCurve {
  tp: Float64Array;
  fp: Float64Array;
  tn: Float64Array;
  fn: Float64Array;
  precision: Float64Array;
  recall: Float64Array;
}

/** The curves of a reply: 6 float64 buffers per item. */
export function decodePr(reply: MediaReply, buffers: Buf[]): PrCurve[] {
  const out: PrCurve[] = [];
  reply.items.forEach((item, i) => {
    const b = buffers.slice(6 * i, 6 * i + 6).map(toFloat64);
    if (b.length !== 6 || b.some((x) => x.length !== (item.n ?? x.length))) throw new Error("bad PR curve buffers");
    out.push({ tp: b[0], fp: b[1], tn: b[2], fn: b[3], precision: b[4], recall: b[5] });
  });
  return out;
}

/** Canvas points (x = recall, y = precision) of a curve in a w×h box with padding `pad`. */
export function prPoints(c: PrCurve, w: number, h: number, pad: number): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < c.recall.length; i++) {
    const r = c.recall[i];
    const p = c.precision[i];
    if (!Number.isFinite(r) || !Number.isFinite(p)) continue;
    pts.push([pad + r * (w - 2 * pad), h - pad - p * (h - 2 * pad)]);
  }
  return pts;
}

class PrRenderer implements Renderer {
  constructor(private color: (run: string) => string) {}

  render(body: HTMLElement, reply: MediaReply, buffers: Buf[]): void {
    const curves = decodePr(reply, buffers);
    const W = 320;
    const H = 240;
    const pad = 28;
    const canvas = el("canvas", "nbtb-pr-canvas");
    canvas.width = W;
    canvas.height = H;
    canvas.dataset.curves = String(curves.length);
    canvas.dataset.points = String(curves.reduce((n, c) => n + c.recall.length, 0));
    const info = el("div", "nbtb-pr-info");
    info.dataset.testid = "pr-info";
    body.append(canvas, info);
    const g = canvas.getContext?.("2d");
    if (!g) return;
    const fg = getComputedStyle(body).color || "#333";
    g.strokeStyle = fg;
    g.fillStyle = fg;
    g.globalAlpha = 0.4;
    g.strokeRect(pad, pad, W - 2 * pad, H - 2 * pad);
    g.globalAlpha = 1;
    g.font = "10px sans-serif";
    for (const t of [0, 0.5, 1]) {
      g.textAlign = "center";
      g.fillText(String(t), pad + t * (W - 2 * pad), H - pad + 12);
      g.textAlign = "right";
      g.fillText(String(t), pad - 3, H - pad - t * (H - 2 * pad) + 3);
    }
    g.textAlign = "center";
    g.fillText("recall", W / 2, H - 4);
    g.save();
    g.translate(8, H / 2);
    g.rotate(-Math.PI / 2);
    g.fillText("precision", 0, 0);
    g.restore();
    g.strokeStyle = this.color(reply.run);
    g.lineWidth = 1.5;
    for (const c of curves) {
      const pts = prPoints(c, W, H, pad);
      g.beginPath();
      pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.stroke();
    }
    canvas.addEventListener("mousemove", (e) => {
      const c = curves[0];
      if (!c) return;
      const rect = canvas.getBoundingClientRect();
      const r = ((e.clientX - rect.left) * (W / rect.width) - pad) / (W - 2 * pad);
      let best = -1;
      for (let i = 0; i < c.recall.length; i++) if (best < 0 || Math.abs(c.recall[i] - r) < Math.abs(c.recall[best] - r)) best = i;
      if (best < 0) return;
      const thr = c.recall.length > 1 ? best / (c.recall.length - 1) : 0;
      info.textContent = `threshold ${thr.toFixed(3)} · precision ${c.precision[best].toPrecision(4)} · recall ${c.recall[best].toPrecision(4)} · TP ${c.tp[best]} FP ${c.fp[best]} TN ${c.tn[best]} FN ${c.fn[best]}`;
    });
  }
  clear(): void {}
}

export class PrCurvesTab extends MediaTab {
  constructor(ctx: MediaContext) {
    super("pr_curves", "PR curve", ctx, () => new PrRenderer(ctx.color), "pr-card");
  }
}
