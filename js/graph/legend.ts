/**
 * The colour key under the toolbar: which op types, devices or repeated structures the colours
 * on screen stand for (only what is drawn, most frequent first). Text only, via textContent.
 */
import { el } from "../dom";
import type { GNode, Hierarchy } from "./hierarchy";
import { type ColorBy, fillOf, mainDevice } from "./render";

export interface LegendEntry {
  color: string;
  label: string;
  count: number;
}

export function legendEntries(h: Hierarchy, drawn: GNode[], by: ColorBy, max = 12): LegendEntry[] {
  const acc = new Map<string, LegendEntry>();
  for (const n of drawn) {
    const color = fillOf(n, h, by);
    if (!color) continue;
    const label =
      by === "op" ? h.data.op[n.index] : by === "device" ? mainDevice(n, h) : `${n.label} ×${n.templateCount} alike`;
    const key = by === "structure" ? n.hash : label;
    const e = acc.get(key);
    if (e) e.count++;
    else acc.set(key, { color, label, count: 1 });
  }
  return [...acc.values()].sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1)).slice(0, max);
}

export function renderLegend(target: HTMLElement, entries: LegendEntry[], by: ColorBy): void {
  target.replaceChildren();
  if (!entries.length) {
    const none = { structure: "No repeated structure on screen.", op: "", device: "No devices recorded." }[by];
    if (none) target.append(el("span", "nbtb-glegend-none", none));
    return;
  }
  for (const e of entries) {
    const item = el("span", "nbtb-glegend-item");
    item.dataset.testid = "graph-legend-item";
    const sw = el("span", "nbtb-swatch");
    sw.style.background = e.color;
    item.append(sw, el("span", "", e.label));
    item.title = `${e.label}: ${e.count} on screen`;
    target.append(item);
  }
}
