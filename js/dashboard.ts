/**
 * anywidget entry of nbtb.Dashboard: header, runs panel, global settings, tabs.
 *
 * Small state lives in traits (docs/protocol.md) and is bound both ways here; series
 * arrive as binary custom messages and go to the tab that asked for them. Every string
 * that comes from the logdir (run names, tags, the path) is set with textContent.
 */
import "uplot/dist/uPlot.min.css";
import "./dashboard.css";
import { isXAxisMode, type XAxisMode } from "./axes";
import type { CardContext } from "./card";
import { colorsOf } from "./colors";
import { makeMatcher } from "./filter";
import { warmLines } from "./linelayer";
import { type KernelMessage, Requests } from "./protocol";
import { ScalarsTab } from "./scalars";
import { mediaTabs } from "./tabs";
import { histogramTabs } from "./histwire";
import { GraphTab } from "./graph/graphtab";
import { profileTab } from "./profile/profiletab";
import type { Model } from "./protocol";
import { clearHostBackground, readTheme, type Theme, watchTheme } from "./theme";

export type { Model } from "./protocol";

type Catalog = Record<string, Record<string, string[]>>;

const KINDS: [string, string][] = [
  ["scalars", "Scalars"],
  ["images", "Images"],
  ["histograms", "Histograms"],
  ["distributions", "Distributions"],
  ["text", "Text"],
  ["audio", "Audio"],
  ["hparams", "HParams"],
  ["pr_curves", "PR Curves"],
  ["graphs", "Graphs"],
  ["profile", "Profile"],
];

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e.setAttribute(k, v);
  }
  // Strings become text nodes: never parsed as HTML.
  e.append(...children);
  return e;
}

function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  const cleanups: (() => void)[] = [];
  const listen = (event: string, cb: () => void) => {
    model.on(event, cb);
    cleanups.push(() => model.off(event, cb));
  };
  const str = (k: string) => String(model.get(k) ?? "");
  const list = (k: string) => (Array.isArray(model.get(k)) ? (model.get(k) as string[]) : []);
  const catalog = () => (model.get("catalog") ?? {}) as Catalog;
  const save = (k: string, v: unknown) => {
    model.set(k, v);
    model.save_changes();
  };

  const root = h("div", { class: "nbtb", "data-testid": "dashboard" });
  el.append(root);
  let theme: Theme = { dark: false, fg: "#212121", bg: "#ffffff", grid: "rgba(0,0,0,0.08)", font: "11px sans-serif" };

  // ---- header -------------------------------------------------------------------------
  const logdir = h("span", { class: "nbtb-logdir", "data-testid": "logdir" });
  const status = h("span", { class: "nbtb-status", "data-testid": "status" });
  const reload = h("span", { class: "nbtb-reload" });
  root.append(h("div", { class: "nbtb-header" }, h("span", { class: "nbtb-brand" }, "TensorBoard"), logdir, status, reload));
  const updateHeader = () => {
    logdir.textContent = str("logdir");
    logdir.title = str("logdir");
    status.textContent = str("status");
    status.title = str("status");
    const r = Number(model.get("reload_interval") ?? 0);
    reload.textContent = r > 0 ? `reload every ${r}s` : "reload off";
  };

  // ---- settings -----------------------------------------------------------------------
  const smoothing = h("input", {
    type: "range",
    min: "0",
    max: "0.999",
    step: "0.001",
    "data-testid": "smoothing",
    "aria-label": "Smoothing",
  });
  const smoothingNum = h("input", { type: "number", min: "0", max: "0.999", step: "0.001", class: "nbtb-num", "aria-label": "Smoothing value" });
  const xAxis = h("select", { "data-testid": "x-axis", "aria-label": "Horizontal axis" });
  for (const [v, label] of [["step", "Step"], ["relative", "Relative"], ["wall_time", "Wall"]]) {
    xAxis.append(h("option", { value: v }, label));
  }
  const yLog = h("input", { type: "checkbox", "data-testid": "y-log" });
  const outliers = h("input", { type: "checkbox", "data-testid": "ignore-outliers" });
  const settings = h(
    "div",
    { class: "nbtb-panel nbtb-settings" },
    h("div", { class: "nbtb-panel-title" }, "Settings"),
    h("label", { class: "nbtb-field" }, h("span", {}, "Smoothing"), h("span", { class: "nbtb-slider" }, smoothing, smoothingNum)),
    h("label", { class: "nbtb-field" }, h("span", {}, "Horizontal axis"), xAxis),
    h("label", { class: "nbtb-check" }, yLog, "Log scale (y)"),
    h("label", { class: "nbtb-check" }, outliers, "Ignore outliers in chart scaling"),
  );
  const setSmoothing = (v: number) => {
    const w = Math.min(Math.max(Number.isFinite(v) ? v : 0, 0), 0.999);
    smoothing.value = String(w);
    smoothingNum.value = String(w);
    save("smoothing", w);
  };
  smoothing.addEventListener("input", () => setSmoothing(parseFloat(smoothing.value)));
  smoothingNum.addEventListener("change", () => setSmoothing(parseFloat(smoothingNum.value)));
  xAxis.addEventListener("change", () => save("x_axis", xAxis.value));
  yLog.addEventListener("change", () => save("y_log", yLog.checked));
  outliers.addEventListener("change", () => save("ignore_outliers", outliers.checked));
  const updateSettings = () => {
    const w = Number(model.get("smoothing") ?? 0.6);
    // Do not fight the user's drag: only move the slider when the trait really differs.
    if (parseFloat(smoothing.value) !== w) smoothing.value = String(w);
    if (parseFloat(smoothingNum.value) !== w) smoothingNum.value = String(w);
    xAxis.value = str("x_axis") || "step";
    yLog.checked = Boolean(model.get("y_log"));
    outliers.checked = Boolean(model.get("ignore_outliers"));
  };

  // ---- runs ---------------------------------------------------------------------------
  const runFilter = h("input", { type: "search", placeholder: "Filter runs (regex)", "data-testid": "run-filter", class: "nbtb-filter" });
  const allBtn = h("button", { type: "button", class: "nbtb-small-btn", "data-testid": "runs-all" }, "All");
  const noneBtn = h("button", { type: "button", class: "nbtb-small-btn", "data-testid": "runs-none" }, "None");
  // one colour per run of this dashboard, the same in every card and tab (colors.ts)
  const color = colorsOf(model);
  const runList = h("div", { class: "nbtb-run-list", "data-testid": "runs" });
  const runsPanel = h(
    "div",
    { class: "nbtb-panel nbtb-runs" },
    h("div", { class: "nbtb-panel-title" }, "Runs", h("span", { class: "nbtb-spacer" }), allBtn, noneBtn),
    runFilter,
    runList,
  );
  const runRows = new Map<string, { row: HTMLElement; box: HTMLInputElement }>();
  const visibleRuns = () => {
    const m = makeMatcher(str("run_filter"));
    return list("runs").filter(m);
  };
  const setSelected = (sel: Set<string>) => save("selected_runs", list("runs").filter((r) => sel.has(r)));
  allBtn.addEventListener("click", () => setSelected(new Set([...list("selected_runs"), ...visibleRuns()])));
  noneBtn.addEventListener("click", () => {
    const hide = new Set(visibleRuns());
    setSelected(new Set(list("selected_runs").filter((r) => !hide.has(r))));
  });
  runFilter.addEventListener("input", () => save("run_filter", runFilter.value));
  const updateRuns = () => {
    const runs = list("runs");
    if (runs.join("\u0000") !== [...runRows.keys()].join("\u0000")) {
      runRows.clear();
      const rows = runs.map((run) => {
        const box = h("input", { type: "checkbox", "aria-label": run });
        const sw = h("span", { class: "nbtb-swatch" });
        sw.style.background = color(run);
        const row = h("label", { class: "nbtb-run-row", "data-testid": "run-row", "data-run": run, title: run }, box, sw, h("span", { class: "nbtb-run-name" }, run));
        box.addEventListener("change", () => {
          const sel = new Set(list("selected_runs"));
          if (box.checked) sel.add(run);
          else sel.delete(run);
          setSelected(sel);
        });
        runRows.set(run, { row, box });
        return row;
      });
      runList.replaceChildren(...rows);
      if (rows.length === 0) runList.append(h("div", { class: "nbtb-empty" }, "No runs found."));
    }
    const sel = new Set(list("selected_runs"));
    const m = makeMatcher(str("run_filter"));
    for (const [run, { row, box }] of runRows) {
      box.checked = sel.has(run);
      row.hidden = !m(run);
    }
    if (document.activeElement !== runFilter) runFilter.value = str("run_filter");
  };

  // ---- tabs and content ---------------------------------------------------------------
  const tabBar = h("div", { class: "nbtb-tabs", role: "tablist" });
  const tagFilter = h("input", { type: "search", placeholder: "Filter tags (regex)", "data-testid": "tag-filter", class: "nbtb-filter nbtb-tag-filter" });
  tagFilter.addEventListener("input", () => save("tag_filter", tagFilter.value));
  const content = h("div", { class: "nbtb-content" });
  const soon = h("div", { class: "nbtb-empty nbtb-soon", "data-testid": "coming-soon" });
  const main = h("div", { class: "nbtb-main" }, h("div", { class: "nbtb-toolbar" }, tabBar, tagFilter), content);
  root.append(h("div", { class: "nbtb-body" }, h("div", { class: "nbtb-side" }, settings, runsPanel), main));

  const requests = new Requests((msg) => model.send(msg));
  const ctx: CardContext = {
    color,
    requests,
    settings: () => ({
      xAxis: (isXAxisMode(model.get("x_axis")) ? model.get("x_axis") : "step") as XAxisMode,
      yLog: Boolean(model.get("y_log")),
      ignoreOutliers: Boolean(model.get("ignore_outliers")),
    }),
    smoothing: () => Number(model.get("smoothing") ?? 0.6),
    theme: () => theme,
    onPaint: () => {
      if (root.dataset.ready !== "1") root.dataset.ready = "1";
    },
  };
  warmLines();
  const scalars = new ScalarsTab(ctx);
  cleanups.push(() => scalars.destroy());
  // Images, Text, Audio, HParams, PR curves (js/tabs.ts): their own requests and messages.
  const media = mediaTabs(model, ctx.onPaint);
  cleanups.push(() => media.destroy());
  // Histograms and Distributions (js/histwire.ts): both read catalog.histograms.
  const hists = histogramTabs(model, ctx);
  cleanups.push(() => hists.destroy());
  // Graphs (js/graph/graphtab.ts): catalog.graphs lists runs per graph kind.
  const graphs = new GraphTab(model, ctx.onPaint);
  cleanups.push(() => graphs.destroy());
  // Profile (js/profile/): catalog.profile lists {session: [runs]}; data comes on request.
  const profile = profileTab(model, ctx);
  cleanups.push(() => profile.destroy());

  const kindsWithData = () => {
    const c = catalog();
    return KINDS.filter(([k]) => {
      if (k === "graphs") return GraphTab.hasGraphs(c);
      const byTag = c[k === "distributions" ? "histograms" : k];
      return byTag && Object.keys(byTag).length > 0;
    });
  };
  const updateTabs = () => {
    const kinds = kindsWithData();
    const want = str("tab") || "scalars";
    // An empty kind has no tab; show the first kind with data without rewriting the trait.
    const active = kinds.some(([k]) => k === want) ? want : (kinds[0]?.[0] ?? "scalars");
    tabBar.replaceChildren(
      ...kinds.map(([k, label]) => {
        const b = h("button", { type: "button", role: "tab", class: "nbtb-tab", "data-testid": `tab-${k}`, "aria-selected": String(k === active) }, label);
        b.addEventListener("click", () => save("tab", k));
        return b;
      }),
    );
    tagFilter.hidden = active === "graphs"; // graphs have runs, not tags
    root.classList.toggle("nbtb-profile-active", active === "profile"); // hides the tag filter: no tags there
    if (active === "scalars") {
      if (content.firstChild !== scalars.el) content.replaceChildren(scalars.el);
    } else if (active === "graphs") {
      graphs.show(content);
    } else if (hists.show(active, content)) {
      // shown by js/histwire.ts
    } else if (profile.show(active, content)) {
      // shown by js/profile/profiletab.ts
    } else if (media.show(active, content)) {
      // shown by js/tabs.ts
    } else {
      soon.textContent = `${kinds.find(([k]) => k === active)?.[1] ?? active}: coming soon.`;
      content.replaceChildren(soon);
    }
    if (kinds.length === 0) {
      soon.textContent = "No data found in this logdir yet.";
      content.replaceChildren(soon);
    }
  };
  const updateScalars = () => {
    if (document.activeElement !== tagFilter) tagFilter.value = str("tag_filter");
    scalars.update({ tags: catalog().scalars ?? {}, selected: list("selected_runs"), tagFilter: str("tag_filter") });
    // Nothing to paint is also a final state: tests and screenshots should not wait forever.
    if (scalars.size === 0) ctx.onPaint();
  };

  // ---- bindings -----------------------------------------------------------------------
  updateHeader();
  updateSettings();
  updateRuns();
  updateTabs();
  updateScalars();
  for (const k of ["logdir", "status", "reload_interval"]) listen(`change:${k}`, updateHeader);
  listen("change:smoothing", () => {
    updateSettings();
    scalars.smoothingChanged();
  });
  for (const k of ["x_axis", "y_log", "ignore_outliers"]) {
    listen(`change:${k}`, () => {
      updateSettings();
      scalars.settingsChanged();
    });
  }
  for (const k of ["runs", "selected_runs", "run_filter"]) listen(`change:${k}`, updateRuns);
  for (const k of ["selected_runs", "tag_filter", "catalog"]) listen(`change:${k}`, updateScalars);
  for (const k of ["catalog", "tab"]) listen(`change:${k}`, updateTabs);

  const onMsg = (msg: KernelMessage, buffers: DataView[]) => {
    if (!msg || typeof msg !== "object") return;
    try {
      if (msg.kind === "scalars_append") scalars.onAppend(msg, buffers ?? []);
      else if (!profile.handle(msg, buffers ?? []) && !hists.handle(msg, buffers ?? []) && !media.handle(msg, buffers ?? []) && !graphs.handle(msg, buffers ?? [])) requests.handle(msg, buffers ?? []);
    } catch (err) {
      // A malformed message must not take the whole dashboard down.
      console.error("nbtb: bad message from the kernel", err);
    }
  };
  model.on("msg:custom", onMsg);
  cleanups.push(() => model.off("msg:custom", onMsg));

  // ---- theme --------------------------------------------------------------------------
  const applyTheme = () => {
    clearHostBackground(el);
    theme = readTheme(root);
    scalars.themeChanged();
    hists.themeChanged();
    profile.themeChanged();
  };
  applyTheme();
  // The element may not be in the document yet during render: read again once it is.
  const raf = requestAnimationFrame(applyTheme);
  cleanups.push(() => cancelAnimationFrame(raf));
  cleanups.push(watchTheme(applyTheme));

  return () => {
    for (const c of cleanups.reverse()) c();
    root.remove();
  };
}

export default { render };
