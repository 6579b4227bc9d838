/**
 * Wires the Images, Text, Audio, HParams and PR curves tabs to the widget model: they follow
 * `selected_runs`, `tag_filter` and `catalog` themselves, so dashboard.ts only asks them to
 * show a tab and to route the kernel's replies (docs/protocol.md, media messages).
 */
import { AudioTab } from "./audio";
import { HParamsTab } from "./hparams";
import { ImagesTab } from "./images";
import { type MediaContext, MediaRequests, type MediaTab } from "./media";
import { PrCurvesTab } from "./prcurves";
import { TextTab } from "./text";
import type { Buf, Model } from "./protocol";
import { colorsOf } from "./colors";


export interface MediaTabs {
  /** Puts tab `kind` in `content` if it is one of ours; false otherwise. */
  show(kind: string, content: HTMLElement): boolean;
  handle(msg: { kind?: unknown }, buffers: Buf[]): boolean;
  destroy(): void;
  readonly tabs: Record<string, MediaTab>;
  readonly hparams: HParamsTab;
}

export function mediaTabs(model: Model, onPaint: () => void): MediaTabs {
  const requests = new MediaRequests((msg) => model.send(msg));
  const color = colorsOf(model);
  const ctx: MediaContext = { media: requests, onPaint, color };
  const tabs: Record<string, MediaTab> = {
    images: new ImagesTab(ctx),
    text: new TextTab(ctx),
    audio: new AudioTab(ctx),
    pr_curves: new PrCurvesTab(ctx),
  };
  const list = (k: string) => (Array.isArray(model.get(k)) ? (model.get(k) as string[]) : []);
  const setSelected = (runs: string[], on: boolean) => {
    const sel = new Set(list("selected_runs"));
    for (const r of runs) {
      if (on) sel.add(r);
      else sel.delete(r);
    }
    const known = list("runs");
    // keep the trait's order (the runs list), and runs the list does not know yet at the end
    model.set("selected_runs", [...known.filter((r) => sel.has(r)), ...[...sel].filter((r) => !known.includes(r))]);
    model.save_changes();
  };
  const hparams = new HParamsTab(requests, setSelected, onPaint, color);
  let active = "";

  const update = (catalogChanged = false) => {
    const catalog = (model.get("catalog") ?? {}) as Record<string, Record<string, string[]>>;
    const selected = list("selected_runs");
    const tagFilter = String(model.get("tag_filter") ?? "");
    for (const [kind, tab] of Object.entries(tabs)) {
      // Tabs not shown keep no cards: nothing is requested for them.
      tab.update({ tags: kind === active ? (catalog[kind] ?? {}) : {}, selected, tagFilter });
      if (catalogChanged && kind === active) tab.refresh();
    }
    hparams.update({ selected, catalogChanged });
    if (catalogChanged && active === "hparams") hparams.show();
  };
  const onSel = () => update(false);
  const onCatalog = () => update(true);
  // Each reload rewrites the status line: visible cards of the open tab check for new steps.
  const onStatus = () => {
    if (Number(model.get("reload_interval") ?? 0) > 0) tabs[active]?.refresh();
  };
  model.on("change:selected_runs", onSel);
  model.on("change:tag_filter", onSel);
  model.on("change:catalog", onCatalog);
  model.on("change:status", onStatus);

  return {
    tabs,
    hparams,
    show(kind, content) {
      const tab = kind === "hparams" ? hparams : tabs[kind];
      if (!tab) return false;
      if (active !== kind) {
        active = kind;
        update(false);
      }
      if (content.firstChild !== tab.el) content.replaceChildren(tab.el);
      // nbtb.ImageGrid & co. (panels.py): the tab alone, without the side panel and tab bar
      content.closest(".nbtb")?.classList.toggle("nbtb-panel-only", model.get("panel") === kind);
      if (kind === "hparams") hparams.show();
      return true;
    },
    handle(msg, buffers) {
      return requests.handle(msg as { kind?: unknown; request_id?: unknown }, buffers);
    },
    destroy() {
      model.off("change:selected_runs", onSel);
      model.off("change:tag_filter", onSel);
      model.off("change:catalog", onCatalog);
      model.off("change:status", onStatus);
      for (const t of Object.values(tabs)) t.destroy();
      hparams.destroy();
    },
  };
}
