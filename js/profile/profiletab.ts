/**
 * The Profile tab: run / session selectors over `catalog.profile` ({session: [run, ...]}), then
 * the overview, the timeline, the memory chart and the range table of the chosen profile. It asks
 * the kernel for a profile only while shown (`profile_request`, docs/protocol.md) and for an
 * event's args when the pointer rests on it (`profile_args_request`).
 */
import "./profile.css";
import { el } from "../dom";
import type { Buf, Model } from "../protocol";
import type { Theme } from "../theme";
import { MemoryChart } from "./memory";
import { renderOverview } from "./overview";
import { SelectionTable } from "./selection";
import { Timeline } from "./timeline";
import { ProfileAssembler, type ProfileData, type ProfileReply } from "./wire";

const GUTTER = 170; // the timeline's label column: the memory chart's y axis takes the same width

export interface ProfileTabs {
  show(kind: string, content: HTMLElement): boolean;
  handle(msg: { kind?: unknown }, buffers: Buf[]): boolean;
  themeChanged(): void;
  destroy(): void;
  readonly el: HTMLElement;
  readonly timeline: Timeline | null;
}

type Catalog = Record<string, Record<string, string[]>>;

export function profileTab(model: Model, base: { theme(): Theme; onPaint(): void }): ProfileTabs {
  const root = el("div", "nbtb-prof");
  root.dataset.testid = "profile-tab";
  const runSel = el("select", "");
  runSel.dataset.testid = "profile-run";
  runSel.setAttribute("aria-label", "Profile run");
  const sessionSel = el("select", "");
  sessionSel.dataset.testid = "profile-session";
  sessionSel.setAttribute("aria-label", "Profile session");
  const panBtn = el("button", "nbtb-small-btn", "Pan");
  const selBtn = el("button", "nbtb-small-btn", "Select");
  const resetBtn = el("button", "nbtb-small-btn", "Reset zoom");
  panBtn.dataset.testid = "profile-mode-pan";
  selBtn.dataset.testid = "profile-mode-select";
  resetBtn.dataset.testid = "profile-reset";
  for (const b of [panBtn, selBtn, resetBtn]) b.type = "button";
  const status = el("span", "nbtb-prof-status");
  status.dataset.testid = "profile-status";
  const help = el("span", "nbtb-prof-help", "wheel: zoom · drag: pan · click, then W/S zoom, A/D pan · Shift+drag: select · Shift+wheel: scroll lanes");
  const toolbar = el("div", "nbtb-prof-toolbar");
  toolbar.append(el("span", "", "Run"), runSel, el("span", "", "Session"), sessionSel, panBtn, selBtn, resetBtn, status, help);
  const body = el("div", "nbtb-prof-body");
  root.append(toolbar, body);

  let active = false;
  let loadedKey = "";
  let reqId = 0;
  let nextId = 1 + Math.floor(Math.random() * 2 ** 30);
  let asm: ProfileAssembler | null = null;
  // page-clock milestones of the last load, for bench/profile_view.py (data-timing)
  let timing: Record<string, number> = {};
  let timeline: Timeline | null = null;
  let overviewBox: HTMLElement | null = null;
  let memory: MemoryChart | null = null;
  const argWaiters = new Map<number, (args: Record<string, unknown> | null) => void>();
  const selection = new SelectionTable();

  const catalog = (): Record<string, string[]> => ((model.get("catalog") ?? {}) as Catalog).profile ?? {};
  const runsOf = (): string[] => [...new Set(Object.values(catalog()).flat())].sort();
  const sessionsOf = (run: string): string[] => Object.keys(catalog()).filter((s) => catalog()[s].includes(run)).sort();
  const trait = (k: string): string | undefined => {
    const v = model.get(k);
    return typeof v === "string" ? v : undefined;
  };
  const fill = (sel: HTMLSelectElement, values: string[], want: string) => {
    if ([...sel.options].map((o) => o.value).join("\0") !== values.join("\0")) {
      sel.replaceChildren(...values.map((v) => {
        const o = el("option", "", v || "(default)");
        o.value = v;
        return o;
      }));
    }
    sel.value = values.includes(want) ? want : (values[0] ?? "");
  };
  const setMode = (m: "pan" | "select") => {
    if (timeline) timeline.mode = m;
    panBtn.setAttribute("aria-pressed", String(m === "pan"));
    selBtn.setAttribute("aria-pressed", String(m === "select"));
  };
  panBtn.addEventListener("click", () => setMode("pan"));
  selBtn.addEventListener("click", () => setMode("select"));
  resetBtn.addEventListener("click", () => timeline?.resetView());
  setMode("pan");

  const choose = () => {
    const runs = runsOf();
    fill(runSel, runs, runSel.value || trait("profile_run") || "");
    fill(sessionSel, sessionsOf(runSel.value), sessionSel.value || trait("profile_session") || "");
  };
  const remember = () => {
    // nbtb.ProfileView syncs its choice back; the full dashboard keeps it in the page only
    if (trait("profile_run") === undefined) return;
    model.set("profile_run", runSel.value);
    model.set("profile_session", sessionSel.value);
    model.save_changes();
  };
  runSel.addEventListener("change", () => {
    fill(sessionSel, sessionsOf(runSel.value), "");
    remember();
    load();
  });
  sessionSel.addEventListener("change", () => {
    remember();
    load();
  });

  const clearView = () => {
    timeline?.destroy();
    memory?.destroy();
    timeline = null;
    memory = null;
    overviewBox = null;
    selection.clear();
  };

  const load = () => {
    if (!active) return;
    choose();
    const run = runSel.value;
    const session = sessionSel.value;
    const key = `${run}\0${session}`;
    if (key === loadedKey) return;
    loadedKey = key;
    clearView();
    if (!runsOf().length) {
      body.replaceChildren(el("div", "nbtb-empty", "No profiles in this logdir."));
      base.onPaint();
      return;
    }
    status.textContent = "Loading…";
    root.dataset.state = "loading";
    body.replaceChildren();
    reqId = nextId++;
    asm = new ProfileAssembler();
    timing = { request: performance.now() };
    model.send({ kind: "profile_request", request_id: reqId, run, session });
  };

  const show = (d: ProfileData) => {
    clearView();
    if (d.error) {
      status.textContent = "";
      const note = el("div", "nbtb-card-note", `Could not load this profile: ${d.error}`);
      note.dataset.testid = "profile-error";
      body.replaceChildren(note);
      root.dataset.state = "error";
      base.onPaint();
      return;
    }
    status.textContent = `${d.n.toLocaleString()} events · ${d.lanes.length} lanes · ${d.steps.length} steps`;
    const details = el("details", "nbtb-prof-details");
    details.open = true;
    overviewBox = details;
    details.append(el("summary", "", "Overview"), d.overview ? renderOverview(d.overview) : el("div", "nbtb-card-note", "Computing the overview…"));
    // asked for once the timeline is drawn: computing it in the kernel would otherwise compete
    // for the CPU with sending the columns and with drawing them
    const overviewId = reqId;
    let overviewAsked = d.overview !== null;
    const tl = new Timeline(d, base.theme, {
      onView: (t0, t1) => memory?.setView(t0, t1),
      onSelect: (a, b) => {
        selection.show(d, a, b);
      },
      fetchArgs: (index) =>
        new Promise((resolve) => {
          const id = nextId++;
          argWaiters.set(id, resolve);
          model.send({ kind: "profile_args_request", request_id: id, run: d.run, session: d.session, index });
        }),
      onPaint: () => {
        root.dataset.state = "ready";
        base.onPaint();
        if (!overviewAsked) {
          overviewAsked = true;
          model.send({ kind: "profile_overview_request", request_id: overviewId, run: d.run, session: d.session });
        }
      },
    });
    timeline = tl;
    setMode(selBtn.getAttribute("aria-pressed") === "true" ? "select" : "pan");
    memory = new MemoryChart(d, base.theme, GUTTER);
    const memTitle = el("div", "nbtb-prof-subtitle", "Memory");
    body.replaceChildren(details, tl.el, memTitle, memory.el, selection.el);
    memory.setView(...tl.view);
    tl.requestDraw();
  };

  const onCatalog = () => {
    if (active) load();
  };
  model.on("change:catalog", onCatalog);
  let resizeObs: ResizeObserver | null = null;
  if (typeof ResizeObserver !== "undefined") {
    resizeObs = new ResizeObserver(() => memory?.resize());
    resizeObs.observe(root);
  }

  return {
    el: root,
    get timeline() {
      return timeline;
    },
    show(kind, content) {
      if (kind !== "profile") {
        active = false;
        return false;
      }
      active = true;
      if (content.firstChild !== root) content.replaceChildren(root);
      content.closest(".nbtb")?.classList.toggle("nbtb-panel-only", model.get("panel") === kind);
      load();
      return true;
    },
    handle(msg, buffers) {
      if (msg.kind === "profile_args_reply") {
        const m = msg as { request_id: number; args?: Record<string, unknown> | null };
        const w = argWaiters.get(m.request_id);
        if (!w) return false;
        argWaiters.delete(m.request_id);
        w(m.args ?? null);
        return true;
      }
      if (msg.kind === "profile_overview") {
        // asked for after the timeline's first frame (see show)
        const m = msg as { request_id: number; overview?: Record<string, unknown> | null };
        if (m.request_id !== reqId) return false;
        const box = overviewBox;
        if (box) box.replaceChildren(box.firstChild as Node, renderOverview(m.overview ?? null));
        return true;
      }
      if (msg.kind !== "profile_reply") return false;
      const m = msg as ProfileReply;
      if (m.request_id !== reqId || !asm) return false; // another view's request, or superseded
      status.textContent = `Loading… part ${m.part + 1} of ${m.parts}`;
      timing.first_part ??= performance.now();
      const data = asm.add(m, buffers);
      if (data) {
        asm = null;
        timing.last_part = performance.now();
        show(data);
        timing.shown = performance.now();
        root.dataset.timing = JSON.stringify(timing);
      }
      return true;
    },
    themeChanged() {
      timeline?.requestDraw();
      memory?.themeChanged();
    },
    destroy() {
      model.off("change:catalog", onCatalog);
      resizeObs?.disconnect();
      clearView();
      root.remove();
    },
  };
}
