/**
 * Wires the Histograms and Distributions tabs to the widget model: they follow
 * `selected_runs`, `tag_filter`, `catalog` (its `histograms` kind feeds both) and
 * `histogram_mode` themselves, so dashboard.ts only shows them, routes `histograms_reply`
 * and tells them about theme changes. A tab that is not shown keeps no cards.
 */
import { DistributionsTab } from "./distributions";
import { HistRequests } from "./histdata";
import { HistogramsTab, isHistogramMode } from "./histograms";
import type { HistContext, HistTab, HistCardBase } from "./histtab";
import type { Theme } from "./theme";
import type { Buf, Model } from "./protocol";
import { colorsOf } from "./colors";


export interface HistTabs {
  show(kind: string, content: HTMLElement): boolean;
  handle(msg: { kind?: unknown }, buffers: Buf[]): boolean;
  themeChanged(): void;
  destroy(): void;
  readonly histograms: HistogramsTab;
  readonly distributions: DistributionsTab;
}

export function histogramTabs(model: Model, base: { theme(): Theme; onPaint(): void }): HistTabs {
  const hist = new HistRequests((msg) => model.send(msg));
  const ctx: HistContext = {
    hist,
    color: colorsOf(model),
    theme: () => base.theme(),
    onPaint: () => base.onPaint(),
    mode: () => {
      const m = model.get("histogram_mode");
      return isHistogramMode(m) ? m : "offset";
    },
    setMode: (m) => {
      model.set("histogram_mode", m);
      model.save_changes();
    },
  };
  const histograms = new HistogramsTab(ctx);
  const distributions = new DistributionsTab(ctx);
  const tabs: Record<string, HistTab<HistCardBase>> = { histograms, distributions };
  let active = "";
  const list = (k: string) => (Array.isArray(model.get(k)) ? (model.get(k) as string[]) : []);
  const update = (catalogChanged = false) => {
    const catalog = (model.get("catalog") ?? {}) as Record<string, Record<string, string[]>>;
    const state = { selected: list("selected_runs"), tagFilter: String(model.get("tag_filter") ?? "") };
    for (const [kind, tab] of Object.entries(tabs)) {
      tab.update({ ...state, tags: kind === active ? (catalog.histograms ?? {}) : {} });
      if (catalogChanged && kind === active) tab.invalidate();
    }
  };
  const onSel = () => update(false);
  const onCatalog = () => update(true);
  const onMode = () => histograms.modeChanged();
  // Each reload rewrites the status line: the open tab's visible cards check for new steps.
  const onStatus = () => {
    if (active && Number(model.get("reload_interval") ?? 0) > 0) tabs[active]?.refresh();
  };
  model.on("change:status", onStatus);
  model.on("change:selected_runs", onSel);
  model.on("change:tag_filter", onSel);
  model.on("change:catalog", onCatalog);
  model.on("change:histogram_mode", onMode);
  return {
    histograms,
    distributions,
    show(kind, content) {
      const tab = tabs[kind];
      if (!tab) {
        if (active) {
          active = "";
          update(false); // drop the cards of the tab left
        }
        return false;
      }
      if (active !== kind) {
        active = kind;
        update(false);
      }
      if (content.firstChild !== tab.el) content.replaceChildren(tab.el);
      // nbtb.HistogramView / DistributionView (panels.py): the tab alone, no side panel or tab bar
      content.closest(".nbtb")?.classList.toggle("nbtb-panel-only", model.get("panel") === kind);
      return true;
    },
    handle(msg, buffers) {
      return hist.handle(msg, buffers);
    },
    themeChanged() {
      histograms.themeChanged();
      distributions.themeChanged();
    },
    destroy() {
      model.off("change:selected_runs", onSel);
      model.off("change:tag_filter", onSel);
      model.off("change:catalog", onCatalog);
      model.off("change:histogram_mode", onMode);
      model.off("change:status", onStatus);
      histograms.destroy();
      distributions.destroy();
    },
  };
}
