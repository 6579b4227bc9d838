/**
 * Memory over time under the lanes: allocated and reserved bytes (uPlot, stepped: memory holds
 * its value until the next allocation or free). The y axis is as wide as the timeline's label
 * gutter, so both share the same x pixels; `setView` follows the timeline's zoom and pan.
 */
import uPlot from "uplot";
import { el } from "../dom";
import type { Theme } from "../theme";
import { formatUs } from "./selection";
import type { ProfileData } from "./wire";

const HEIGHT = 130;

/** 1536 -> "1.5 KB". */
export function formatBytes(b: number): string {
  const a = Math.abs(b);
  for (const [d, s] of [[2 ** 30, "GB"], [2 ** 20, "MB"], [2 ** 10, "KB"]] as const) {
    if (a >= d) return `${+(b / d).toPrecision(3)} ${s}`;
  }
  return `${+b.toPrecision(3)} B`;
}

export class MemoryChart {
  readonly el: HTMLDivElement;
  private u: uPlot | null = null;
  private view: [number, number] = [0, 1];

  constructor(
    private d: ProfileData,
    private theme: () => Theme,
    private gutter: number,
  ) {
    this.el = el("div", "nbtb-prof-memory");
    this.el.dataset.testid = "profile-memory";
    this.el.dataset.points = String(d.memTs.length);
    if (d.memTs.length === 0) this.el.append(el("div", "nbtb-empty", "No memory events in this profile (profile_memory=True records them)."));
  }

  setView(t0: number, t1: number): void {
    this.view = [t0, t1];
    this.el.dataset.view = `${t0},${t1}`; // what the x axis shows (tests)
    if (!this.u) this.create();
    this.u?.setScale("x", { min: t0, max: t1 });
  }

  private create(): void {
    const d = this.d;
    const w = Math.floor(this.el.clientWidth);
    if (d.memTs.length === 0 || w <= 0) return;
    const reserved = d.memReserved.some((v) => v > 0);
    const data: uPlot.AlignedData = reserved
      ? [d.memTs, d.memAllocated, d.memReserved]
      : [d.memTs, d.memAllocated];
    const theme = this.theme;
    const axis = {
      stroke: () => theme().fg,
      grid: { stroke: () => theme().grid, width: 1 },
      ticks: { stroke: () => theme().grid, width: 1, size: 4 },
      font: "11px sans-serif",
    };
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const series: uPlot.Series[] = [
      {},
      { label: "allocated", stroke: "#e15759", fill: "rgba(225,87,89,0.15)", width: 1.5, paths: stepped, points: { show: false } },
    ];
    if (reserved) series.push({ label: "reserved", stroke: "#4e79a7", width: 1, paths: stepped, points: { show: false } });
    this.u = new uPlot(
      {
        width: w,
        height: HEIGHT,
        legend: { show: false },
        padding: [6, 0, 0, 0],
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, range: () => this.view } },
        axes: [
          { ...axis, values: (_u, splits) => splits.map(formatUs) },
          { ...axis, size: this.gutter, values: (_u, splits) => splits.map(formatBytes) },
        ],
        series,
      },
      data,
      this.el,
    );
  }

  resize(): void {
    if (!this.u) this.setView(...this.view); // first laid out now (was hidden or detached)
    const w = Math.floor(this.el.clientWidth);
    if (this.u && w > 0 && w !== this.u.width) this.u.setSize({ width: w, height: HEIGHT });
  }

  themeChanged(): void {
    this.u?.redraw(false);
  }

  destroy(): void {
    this.u?.destroy();
    this.el.remove();
  }
}
