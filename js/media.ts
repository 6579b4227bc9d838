/**
 * Media tabs' plumbing (Images, Text, Audio, PR curves): the request/reply protocol of
 * docs/protocol.md ("media_request" / "media_reply", "hparams_request" / "hparams_reply"),
 * and the tab that lays out one card per tag × run, in a section per tag. A card asks the
 * kernel for its step's data only while on screen, so a logdir of thousands of images
 * opens without sending any of them.
 */
import "./media.css";
import { makeMatcher } from "./filter";
import { StepSlider } from "./slider";
import { collapsibleSection } from "./section";
import type { Buf } from "./protocol";

export type MediaPlugin = "images" | "audio" | "text" | "pr_curves";

export interface MediaItem {
  index: number;
  mime?: string;
  width?: number;
  height?: number;
  format?: string;
  sample_rate?: number;
  /** pr_curves: number of thresholds (each of the item's 6 float64 buffers holds that many). */
  n?: number;
}

export interface MediaReply {
  kind: "media_reply";
  request_id: number;
  plugin: MediaPlugin;
  tag: string;
  run: string;
  steps: number[];
  wall_times: number[];
  step: number | null;
  items: MediaItem[];
  error?: string;
  /** The series still ends at the step the browser said it had: nothing was sent. */
  unchanged?: boolean;
  /** A large step comes in parts (split between items); handlers see them joined. */
  part?: number;
  parts?: number;
}

export interface HParamsColumn {
  name: string;
  type: "hparam" | "metric";
}

export interface HParamsReply {
  kind: "hparams_reply";
  request_id: number;
  columns: HParamsColumn[];
  rows: { run: string; values: (number | string | boolean | null)[] }[];
}


/** The bytes of a buffer as a fresh Uint8Array (widget buffers may be views into a larger one). */
export function toBytes(buf: Buf): Uint8Array<ArrayBuffer> {
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf.slice(0));
  const out = new Uint8Array(buf.byteLength);
  out.set(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  return out;
}

export function decodeText(buf: Buf): string {
  return new TextDecoder("utf-8").decode(toBytes(buf));
}

type MediaHandler = (reply: MediaReply, buffers: Buf[]) => void;
type HParamsHandler = (reply: HParamsReply) => void;

/** Request ids and routing for the media and hparams messages (like protocol.ts's Requests). */
export class MediaRequests {
  private nextId: number;
  private pending = new Map<number, MediaHandler | HParamsHandler>();
  /** Parts received so far of replies that come in several. */
  private partial = new Map<number, Map<number, [MediaReply, Buf[]]>>();

  constructor(private send: (msg: Record<string, unknown>) => void, seed = Math.random()) {
    this.nextId = 1 + Math.floor(seed * 2 ** 30) + 2 ** 30;
  }

  media(
    plugin: MediaPlugin,
    tag: string,
    run: string,
    step: number | null,
    onReply: MediaHandler,
    known?: { last: number; count: number },
  ): number {
    const id = this.nextId++;
    this.pending.set(id, onReply);
    const msg: Record<string, unknown> = { kind: "media_request", request_id: id, plugin, tag, run, step };
    if (known) (msg.known_last = known.last), (msg.known_count = known.count);
    this.send(msg);
    return id;
  }

  hparams(onReply: HParamsHandler): number {
    const id = this.nextId++;
    this.pending.set(id, onReply);
    this.send({ kind: "hparams_request", request_id: id });
    return id;
  }

  cancel(id: number | null | undefined): void {
    if (id != null) (this.pending.delete(id), this.partial.delete(id));
  }

  get size(): number {
    return this.pending.size;
  }

  /** True when `msg` was one of ours (answered or stale). */
  handle(msg: { kind?: unknown; request_id?: unknown }, buffers: Buf[]): boolean {
    if (msg.kind !== "media_reply" && msg.kind !== "hparams_reply") return false;
    const id = Number(msg.request_id);
    const cb = this.pending.get(id);
    if (!cb) return true;
    if (msg.kind === "media_reply") {
      const joined = this.join(id, msg as MediaReply, buffers);
      if (!joined) return true; // more parts to come
      this.pending.delete(id);
      (cb as MediaHandler)(joined.reply, joined.buffers);
    } else {
      this.pending.delete(id);
      (cb as HParamsHandler)(msg as HParamsReply);
    }
    return true;
  }

  /** The whole reply once every part arrived (items and buffers in part order), else null. */
  private join(id: number, reply: MediaReply, buffers: Buf[]): { reply: MediaReply; buffers: Buf[] } | null {
    const parts = Number(reply.parts ?? 1);
    if (!(parts > 1)) return { reply, buffers };
    const byPart = this.partial.get(id) ?? new Map<number, [MediaReply, Buf[]]>();
    byPart.set(Number(reply.part ?? 0), [reply, buffers]);
    this.partial.set(id, byPart);
    if (byPart.size < parts) return null;
    this.partial.delete(id);
    const ordered = [...byPart.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    const items = ordered.flatMap(([r]) => r.items);
    return { reply: { ...reply, items, part: undefined, parts: undefined }, buffers: ordered.flatMap(([, b]) => b) };
  }
}

export interface TabState {
  /** catalog[plugin]: tag -> runs that have it. */
  tags: Record<string, string[]>;
  selected: string[];
  tagFilter: string;
}

export interface MediaContext {
  media: MediaRequests;
  /** The dashboard's colour of a run (colors.ts colorsOf). */
  color(run: string): string;
  onPaint(): void;
}

/** What a kind of card draws for one step; `clear` frees what `render` made (Blob URLs). */
export interface Renderer {
  render(body: HTMLElement, reply: MediaReply, buffers: Buf[]): void;
  clear(): void;
  tools?(card: MediaCard): HTMLElement[];
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = "", text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text; // logdir strings are always text, never HTML
  return e;
}

export class MediaCard {
  readonly el: HTMLDivElement;
  readonly body: HTMLDivElement;
  readonly slider: StepSlider;
  private note: HTMLDivElement;
  private reqId: number | null = null;
  private loaded = false;
  private visible = false;
  private wantStep: number | null = null;
  /** Follow the newest step until the user moves the slider. */
  private pinned = false;

  constructor(
    readonly plugin: MediaPlugin,
    readonly tag: string,
    readonly run: string,
    private ctx: MediaContext,
    private renderer: Renderer,
    testid: string,
  ) {
    this.el = el("div", `nbtb-card nbtb-media-card nbtb-${plugin}-card`);
    this.el.dataset.testid = testid;
    this.el.dataset.tag = tag;
    this.el.dataset.run = run;
    this.el.tabIndex = 0;
    const head = el("div", "nbtb-card-head");
    const sw = el("span", "nbtb-swatch");
    sw.style.background = this.ctx.color(run);
    const title = el("span", "nbtb-card-title", run);
    title.title = `${run} · ${tag}`;
    const tools = el("span", "nbtb-card-tools");
    head.append(sw, title, tools);
    this.slider = new StepSlider(() => {
      this.pinned = true;
      this.request(this.slider.step);
    });
    this.note = el("div", "nbtb-media-note");
    this.body = el("div", `nbtb-media-body nbtb-${plugin}-body`);
    this.el.append(head, this.slider.el, this.note, this.body);
    tools.append(...(renderer.tools?.(this) ?? []));
    this.el.addEventListener("keydown", (e) => this.slider.key(e));
  }

  setVisible(v: boolean): void {
    this.visible = v;
    if (v && !this.loaded && this.reqId === null) this.request(this.wantStep);
  }

  /**
   * New data may exist (a reload): a visible card asks again, telling the kernel the steps it
   * has, so an unchanged series costs a few bytes instead of its images. Hidden cards refetch
   * when they come into view.
   */
  invalidate(): void {
    if (!this.visible) {
      this.loaded = false;
      return;
    }
    if (this.reqId !== null) return;
    const steps = this.slider.steps;
    const known = this.loaded && steps.length ? { last: steps[steps.length - 1], count: steps.length } : undefined;
    this.request(this.pinned ? this.slider.step : null, known);
  }

  request(step: number | null, known?: { last: number; count: number }): void {
    this.ctx.media.cancel(this.reqId);
    this.wantStep = step;
    this.el.dataset.loading = "1";
    this.reqId = this.ctx.media.media(this.plugin, this.tag, this.run, step, (reply, buffers) => {
      this.reqId = null;
      this.loaded = true;
      this.el.dataset.loading = "0";
      if (!reply.unchanged) this.show(reply, buffers);
    }, known);
  }

  private show(reply: MediaReply, buffers: Buf[]): void {
    const steps = reply.steps ?? [];
    const i = reply.step === null ? steps.length - 1 : steps.indexOf(reply.step);
    this.slider.setSteps(steps, reply.wall_times ?? [], i);
    this.note.textContent = reply.error ? reply.error : steps.length === 0 ? "No data." : "";
    this.note.hidden = this.note.textContent === "";
    this.renderer.clear();
    this.body.replaceChildren();
    try {
      this.renderer.render(this.body, reply, buffers);
    } catch (err) {
      this.note.textContent = `Cannot show this step: ${String(err)}`;
      this.note.hidden = false;
    }
    this.el.dataset.step = reply.step === null ? "" : String(reply.step);
    this.ctx.onPaint();
  }

  destroy(): void {
    this.ctx.media.cancel(this.reqId);
    this.renderer.clear();
    this.el.remove();
  }
}

/** A tab of MediaCards: a section per tag, a card per selected run that has it. */
export class MediaTab {
  readonly el: HTMLDivElement;
  protected readonly toolbar: HTMLDivElement;
  private readonly list: HTMLDivElement;
  private cards = new Map<string, MediaCard>();
  private sections = new Map<string, HTMLElement>();
  private collapsed = new Set<string>();
  private io: IntersectionObserver | null = null;
  private empty: HTMLDivElement;

  constructor(
    readonly plugin: MediaPlugin,
    private label: string,
    private ctx: MediaContext,
    private makeRenderer: () => Renderer,
    private testid: string,
  ) {
    this.el = el("div", `nbtb-media-tab nbtb-${plugin}-tab`);
    this.el.dataset.testid = `${plugin}-tab`;
    this.toolbar = el("div", "nbtb-media-toolbar");
    this.toolbar.hidden = true;
    this.empty = el("div", "nbtb-empty");
    this.list = el("div", "nbtb-media-list");
    this.el.append(this.toolbar, this.empty, this.list);
    if (typeof IntersectionObserver !== "undefined") {
      this.io = new IntersectionObserver((entries) => {
        for (const e of entries) this.cardOf(e.target as HTMLElement)?.setVisible(e.isIntersecting);
      }, { rootMargin: "200px 0px" });
    }
  }

  private cardOf(node: HTMLElement): MediaCard | undefined {
    return this.cards.get(JSON.stringify([node.dataset.tag, node.dataset.run]));
  }

  update(state: TabState): void {
    const selected = new Set(state.selected);
    const match = makeMatcher(state.tagFilter);
    const tags = Object.keys(state.tags).filter(match).sort();
    const wanted = new Set<string>();
    const order: HTMLElement[] = [];
    for (const tag of tags) {
      const runs = (state.tags[tag] ?? []).filter((r) => selected.has(r)).sort();
      if (runs.length === 0) continue;
      const section = this.section(tag);
      const grid = section.querySelector(".nbtb-grid") as HTMLElement;
      (section.querySelector(".nbtb-section-count") as HTMLElement).textContent = String(runs.length);
      const cardEls: HTMLElement[] = [];
      for (const run of runs) {
        const key = JSON.stringify([tag, run]);
        wanted.add(key);
        let card = this.cards.get(key);
        if (!card) {
          card = new MediaCard(this.plugin, tag, run, this.ctx, this.makeRenderer(), this.testid);
          this.cards.set(key, card);
          this.io?.observe(card.el);
        }
        cardEls.push(card.el);
      }
      grid.replaceChildren(...cardEls);
      order.push(section);
    }
    for (const [key, card] of this.cards) {
      if (wanted.has(key)) continue;
      this.io?.unobserve(card.el);
      card.destroy();
      this.cards.delete(key);
    }
    const shown = new Set(order);
    for (const [tag, s] of this.sections) if (!shown.has(s)) (s.remove(), this.sections.delete(tag));
    const total = Object.keys(state.tags).length;
    this.empty.textContent =
      total === 0 ? `No ${this.label} data in this logdir yet.` : order.length === 0 ? "No tags match the filter or the selected runs." : "";
    this.empty.hidden = this.empty.textContent === "";
    this.toolbar.hidden = this.toolbar.childElementCount === 0;
    this.list.replaceChildren(...order);
    if (!this.io) for (const c of this.cards.values()) c.setVisible(true);
  }

  /** After a reload: cards refetch (when visible) so new steps appear. */
  refresh(): void {
    for (const c of this.cards.values()) c.invalidate();
  }

  get size(): number {
    return this.cards.size;
  }

  private section(tag: string): HTMLElement {
    let s = this.sections.get(tag);
    if (!s) {
      s = collapsibleSection(tag, this.collapsed);
      this.sections.set(tag, s);
    }
    return s;
  }

  destroy(): void {
    this.io?.disconnect();
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.el.remove();
  }
}

/** Blob URLs made for one card, revoked together. */
export class BlobUrls {
  private urls: string[] = [];
  make(buf: Buf, mime: string): string {
    const url = URL.createObjectURL(new Blob([toBytes(buf)], { type: mime }));
    this.urls.push(url);
    return url;
  }
  revoke(): void {
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
  }
}
