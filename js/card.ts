/**
 * One scalar card: a tag overlaid for every selected run that has it.
 *
 * The card owns its data: `base` is the whole-range reply (possibly reduced per pixel by
 * the kernel) and `detail` a full-resolution reply for the zoomed range. Only the newest
 * request's reply is used; older ones are cancelled so a slow reply never overwrites a
 * newer state.
 */
import { xValues } from "./axes";
import { type ChartRun, type ChartSettings, ScalarChart } from "./chart";
import { afterPaint } from "./dom";
import { applyAppend, decodeSeries, type Requests, type ScalarsAppend, type Series } from "./protocol";
import { smooth, smoothContinued } from "./smoothing";
import type { Theme } from "./theme";

export interface CardContext {
  requests: Requests;
  /** The dashboard's colour of a run (colors.ts colorsOf). */
  color(run: string): string;
  settings(): ChartSettings;
  smoothing(): number;
  theme(): Theme;
  onPaint(): void;
}

function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "nbtb-icon-btn";
  b.textContent = label;
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", onClick);
  return b;
}

/** A safe file name stem for a tag (the kernel uses the same rule for CSV names). */
export function fileStem(tag: string): string {
  return tag.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+|[._]+$/g, "") || "scalars";
}

function download(href: string, filename: string): void {
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
}

export class Card {
  readonly el: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly note: HTMLDivElement;
  private chart: ScalarChart | null = null;
  private runs: string[] = [];
  private base: Series[] | null = null;
  private detail: Series[] | null = null;
  private reqId: number | null = null;
  private detailId: number | null = null;
  /** Cancels a detail request not yet sent (see onZoom). */
  private cancelAsk: () => void = () => {};
  private requestedWidth = 0;
  private requestedSmoothing = NaN;
  private override: number | null = null;
  private stale = true;
  visible = false;
  private resizeObs: ResizeObserver | null = null;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private smoothingInput: HTMLInputElement;

  constructor(
    readonly tag: string,
    private ctx: CardContext,
  ) {
    this.el = document.createElement("div");
    this.el.className = "nbtb-card";
    this.el.dataset.testid = "card";
    this.el.dataset.tag = tag;

    const head = document.createElement("div");
    head.className = "nbtb-card-head";
    const title = document.createElement("span");
    title.className = "nbtb-card-title";
    title.textContent = tag;
    title.title = tag;

    const sm = document.createElement("input");
    sm.type = "number";
    sm.min = "0";
    sm.max = "0.999";
    sm.step = "0.05";
    this.smoothingInput = sm;
    sm.placeholder = String(ctx.smoothing());
    sm.className = "nbtb-card-smoothing";
    sm.dataset.testid = "card-smoothing";
    sm.title = "Smoothing for this card only (empty = the global setting)";
    sm.addEventListener("change", () => {
      const v = parseFloat(sm.value);
      this.override = Number.isFinite(v) ? Math.min(Math.max(v, 0), 0.999) : null;
      if (this.override !== null) sm.value = String(this.override);
      this.smoothingChanged();
    });

    const fit = button("⟲", "Reset zoom (or double-click the chart)", () => this.chart?.resetZoom());
    fit.dataset.testid = "card-fit";
    const expand = button("⤢", "Expand to full width", () => {
      const on = this.el.classList.toggle("nbtb-expanded");
      expand.setAttribute("aria-pressed", String(on));
    });
    expand.dataset.testid = "card-expand";
    const csv = button("CSV", "Download the data as CSV", () => void this.downloadCsv());
    csv.dataset.testid = "card-csv";
    const png = button("PNG", "Download the chart as PNG", () => {
      const url = this.chart?.png();
      if (url) download(url, `${fileStem(tag)}.png`);
    });
    png.dataset.testid = "card-png";
    const tools = document.createElement("span");
    tools.className = "nbtb-card-tools";
    tools.append(sm, fit, expand, csv, png);
    head.append(title, tools);

    this.body = document.createElement("div");
    this.body.className = "nbtb-card-body";
    this.note = document.createElement("div");
    this.note.className = "nbtb-card-note";
    this.note.textContent = "Loading…";
    this.body.append(this.note);
    this.el.append(head, this.body);

    if (typeof ResizeObserver !== "undefined") {
      this.resizeObs = new ResizeObserver(() => this.onResize());
      this.resizeObs.observe(this.body);
    }
  }

  private effectiveSmoothing(): number {
    return this.override ?? this.ctx.smoothing();
  }

  private width(): number {
    return Math.max(120, Math.floor(this.body.clientWidth || 320));
  }

  /** The runs to overlay changed (selection, catalog): refetch when visible. */
  setRuns(runs: string[]): void {
    if (runs.join("\u0000") === this.runs.join("\u0000")) return;
    this.runs = runs;
    this.invalidate();
  }

  /** Data must be fetched again (the next time the card is visible). */
  invalidate(): void {
    this.stale = true;
    if (this.visible) this.request();
  }

  setVisible(v: boolean): void {
    this.visible = v;
    if (v && this.stale) this.request();
  }

  /** Smoothing changed: unreduced series are re-smoothed here; reduced ones need the kernel. */
  smoothingChanged(): void {
    // The empty override field shows the global value it falls back to.
    this.smoothingInput.placeholder = String(this.ctx.smoothing());
    this.draw();
    const needsKernel = [...(this.base ?? []), ...(this.detail ?? [])].some((s) => s.smoothed !== null);
    if (needsKernel && this.requestedSmoothing !== this.effectiveSmoothing()) {
      // The slider fires many events while dragged: ask the kernel once it settles.
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.invalidate(), 200);
    }
  }

  settingsChanged(): void {
    this.chart?.setSettings(this.ctx.settings());
    // A new x axis mode resets the zoom (its range means nothing in other units).
    if (!this.chart?.zoomRange && (this.detail || this.detailId !== null)) {
      this.detail = null;
      this.cancelDetail();
      this.detailId = null;
    }
    this.draw();
  }

  themeChanged(): void {
    this.chart?.setTheme(this.ctx.theme());
  }

  private request(): void {
    this.stale = false;
    this.ctx.requests.cancel(this.reqId);
    this.cancelDetail();
    this.detail = null;
    this.detailId = null;
    if (this.runs.length === 0) {
      this.base = [];
      this.draw();
      return;
    }
    const width = this.width();
    const smoothing = this.effectiveSmoothing();
    this.requestedWidth = width;
    this.requestedSmoothing = smoothing;
    const id = this.ctx.requests.scalars(
      { tag: this.tag, runs: this.runs, width, smoothing, x_min: null, x_max: null },
      (series) => {
        if (id !== this.reqId) return;
        this.base = series;
        // The user may have zoomed while this reply was on its way.
        const z = this.chart?.zoomRange;
        this.draw();
        if (z) this.onZoom(z);
      },
    );
    this.reqId = id;
  }

  /** Zoomed: if what we hold was reduced by the kernel, ask for the range at full detail. */
  private onZoom(range: [number, number] | null): void {
    this.cancelDetail();
    this.detailId = null;
    if (!range) {
      if (this.detail) {
        this.detail = null;
        this.draw();
      }
      return;
    }
    const shown = this.detail ?? this.base ?? [];
    if (!shown.some((s) => s.reduced)) return;
    const steps = this.stepRange(range, shown);
    if (!steps) return;
    // Asked once the zoomed picture is on the screen: the kernel's work (and, on a small
    // machine, its CPU) then does not compete with painting the frame the user waits for.
    this.cancelAsk = afterPaint(() => {
      const id = this.ctx.requests.scalars(
        {
          tag: this.tag,
          runs: this.runs,
          width: this.width(),
          smoothing: this.effectiveSmoothing(),
          x_min: steps[0],
          x_max: steps[1],
        },
        (series) => {
          if (id !== this.detailId) return;
          this.detail = series;
          this.draw();
        },
      );
      this.detailId = id;
    });
  }

  /** Drops the detail request in flight, or about to be sent. */
  private cancelDetail(): void {
    this.ctx.requests.cancel(this.detailId);
    this.cancelAsk();
    this.cancelAsk = () => {};
  }

  /** Wall time of a run's first point: the whole-range reply starts there (reduction keeps it). */
  private t0(s: Series): number {
    const b = this.base?.find((x) => x.run === s.run) ?? s;
    return b.wall.length ? b.wall[0] : 0;
  }

  /** Step range covering an x range in the current axis units (one extra point each side). */
  private stepRange(range: [number, number], series: Series[]): [number, number] | null {
    const mode = this.ctx.settings().xAxis;
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of series) {
      const n = s.step.length;
      const xs = mode === "step" ? s.step : xValues(mode, s.step, s.wall, this.t0(s));
      for (let i = 0; i < n; i++) {
        const x = xs[i];
        if (x < range[0] || x > range[1]) continue;
        lo = Math.min(lo, s.step[Math.max(0, i - 1)]);
        hi = Math.max(hi, s.step[Math.min(n - 1, i + 1)]);
      }
    }
    if (mode === "step") {
      lo = Math.min(lo, Math.floor(range[0]));
      hi = Math.max(hi, Math.ceil(range[1]));
    }
    return lo <= hi ? [lo, hi] : null;
  }

  /**
   * Smoothed values for one series: the kernel's when it sent them (reduced series are
   * smoothed over the FULL series there), else computed here. A zoomed window is
   * continued from the whole-range smoothing so its left edge does not restart the EMA.
   */
  private smoothed(s: Series, isDetail: boolean): Float64Array {
    if (s.smoothed) return s.smoothed;
    const w = this.effectiveSmoothing();
    const base = isDetail ? this.base?.find((b) => b.run === s.run) : undefined;
    if (base && base.smoothed && s.step.length > 0) {
      const first = s.step[0];
      let j = -1;
      for (let i = 0; i < base.step.length && base.step[i] < first; i++) j = i;
      if (j >= 0) {
        // Estimated points before the window: the base index scaled by the reduction ratio.
        const count = Math.round(((j + 1) * base.total) / Math.max(1, base.step.length));
        return smoothContinued(s.value, w, base.smoothed[j], count);
      }
    }
    return smooth(s.value, w);
  }

  private draw(): void {
    const data = this.detail ?? this.base;
    if (!data) return;
    const isDetail = data === this.detail;
    const runs: ChartRun[] = data
      .filter((s) => this.runs.includes(s.run))
      .map((s) => ({ run: s.run, color: this.ctx.color(s.run), series: s, smoothed: this.smoothed(s, isDetail), t0: this.t0(s) }));
    const points = runs.reduce((a, r) => a + r.series.step.length, 0);
    this.note.textContent = runs.length === 0 ? "No selected run has this tag." : points === 0 ? "No points." : "";
    this.note.hidden = this.note.textContent === "";
    if (!this.chart) {
      if (runs.length === 0) return;
      this.chart = new ScalarChart(this.body, this.ctx.settings(), this.ctx.theme(), {
        onZoom: (r) => this.onZoom(r),
        onPaint: () => this.ctx.onPaint(),
      });
    }
    this.chart.setRuns(runs);
    // For tests and benchmarks: what this card last drew (e.g. when a live point was painted).
    this.el.dataset.points = String(points);
    this.el.dataset.lastStep = String(Math.max(-Infinity, ...runs.map((r) => r.series.step[r.series.step.length - 1] ?? -Infinity)));
  }

  /** New points from a reload. Reduced data cannot be extended locally: refetch it. */
  append(msg: ScalarsAppend, buffers: DataView[]): void {
    if (!this.base) return;
    const added = decodeSeries(msg.series, buffers);
    const refetch = this.detail !== null || this.base.some((s) => s.reduced);
    if (refetch) {
      // Coalesce a burst of appends (one per run) into one request.
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.invalidate(), 300);
      return;
    }
    const byRun = new Map(this.base.map((s) => [s.run, s]));
    msg.series.forEach((h, i) => {
      if (!this.runs.includes(h.run)) return;
      byRun.set(h.run, applyAppend(byRun.get(h.run), added[i], h.reset));
    });
    this.base = [...byRun.values()];
    this.draw();
  }

  private onResize(): void {
    const w = this.width();
    this.chart?.resize(w);
    // A much wider plot deserves more points than the kernel reduced to.
    if (this.base?.some((s) => s.reduced) && w > this.requestedWidth * 1.25) this.invalidate();
  }

  private async downloadCsv(): Promise<void> {
    const { filename, data } = await this.ctx.requests.csv(this.tag, this.runs);
    const bytes =
      data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const url = URL.createObjectURL(new Blob([bytes as ArrayBuffer], { type: "text/csv" }));
    download(url, filename || `${fileStem(this.tag)}.csv`);
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  destroy(): void {
    this.ctx.requests.cancel(this.reqId);
    this.cancelDetail();
    clearTimeout(this.retry);
    this.resizeObs?.disconnect();
    this.chart?.destroy();
    this.el.remove();
  }
}
