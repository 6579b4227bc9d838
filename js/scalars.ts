/**
 * The Scalars tab: one card per tag, in collapsible sections by tag prefix (as in
 * TensorBoard). Cards fetch data only while on screen, so a logdir with hundreds of tags
 * costs nothing until the user scrolls to them.
 */
import { Card, type CardContext } from "./card";
import { groupTags, makeMatcher } from "./filter";
import type { ScalarsAppend } from "./protocol";
import { collapsibleSection } from "./section";

export interface ScalarsState {
  /** catalog.scalars: tag -> runs that have it. */
  tags: Record<string, string[]>;
  selected: string[];
  tagFilter: string;
}

export class ScalarsTab {
  readonly el: HTMLDivElement;
  private cards = new Map<string, Card>();
  private sections = new Map<string, HTMLElement>();
  private collapsed = new Set<string>();
  private io: IntersectionObserver | null = null;
  private empty: HTMLDivElement;

  constructor(private ctx: CardContext) {
    this.el = document.createElement("div");
    this.el.className = "nbtb-scalars";
    this.empty = document.createElement("div");
    this.empty.className = "nbtb-empty";
    this.el.append(this.empty);
    if (typeof IntersectionObserver !== "undefined") {
      // A margin so cards just below the fold are loaded before the user gets there.
      this.io = new IntersectionObserver((entries) => this.onIntersect(entries), { rootMargin: "300px 0px" });
    }
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      const tag = (e.target as HTMLElement).dataset.tag;
      const card = tag !== undefined ? this.cards.get(tag) : undefined;
      card?.setVisible(e.isIntersecting);
    }
  }

  /** Rebuilds sections and cards for the catalog, selection and tag filter; keeps existing cards. */
  update(state: ScalarsState): void {
    const selected = new Set(state.selected);
    const match = makeMatcher(state.tagFilter);
    const runsOf = (tag: string) => (state.tags[tag] ?? []).filter((r) => selected.has(r)).sort();
    const groups = groupTags(Object.keys(state.tags), (t) => match(t) && runsOf(t).length > 0);

    const wanted = new Set<string>();
    const order: HTMLElement[] = [];
    for (const [group, tags] of groups) {
      const section = this.section(group);
      const grid = section.querySelector(".nbtb-grid") as HTMLElement;
      const count = section.querySelector(".nbtb-section-count") as HTMLElement;
      count.textContent = String(tags.length);
      const cardEls: HTMLElement[] = [];
      for (const tag of tags) {
        wanted.add(tag);
        let card = this.cards.get(tag);
        if (!card) {
          card = new Card(tag, this.ctx);
          this.cards.set(tag, card);
          this.io?.observe(card.el);
        }
        card.setRuns(runsOf(tag));
        cardEls.push(card.el);
      }
      grid.replaceChildren(...cardEls);
      order.push(section);
    }
    for (const [tag, card] of this.cards) {
      if (wanted.has(tag)) continue;
      this.io?.unobserve(card.el);
      card.destroy();
      this.cards.delete(tag);
    }
    for (const [g, s] of this.sections) if (!groups.has(g)) (s.remove(), this.sections.delete(g));

    const total = Object.keys(state.tags).length;
    this.empty.textContent =
      total === 0 ? "No scalar data in this logdir yet." : groups.size === 0 ? "No tags match the filter or the selected runs." : "";
    this.empty.hidden = this.empty.textContent === "";
    this.el.replaceChildren(this.empty, ...order);
    // Without IntersectionObserver (old hosts, tests) every card counts as visible.
    if (!this.io) for (const c of this.cards.values()) c.setVisible(true);
  }

  /** Number of cards shown. */
  get size(): number {
    return this.cards.size;
  }

  private section(group: string): HTMLElement {
    let s = this.sections.get(group);
    if (!s) {
      s = collapsibleSection(group, this.collapsed);
      this.sections.set(group, s);
    }
    return s;
  }

  /** Global smoothing changed. */
  smoothingChanged(): void {
    for (const c of this.cards.values()) c.smoothingChanged();
  }

  /** x axis / log / outliers changed. */
  settingsChanged(): void {
    for (const c of this.cards.values()) c.settingsChanged();
  }

  themeChanged(): void {
    for (const c of this.cards.values()) c.themeChanged();
  }

  onAppend(msg: ScalarsAppend, buffers: DataView[]): void {
    this.cards.get(msg.tag)?.append(msg, buffers);
  }

  destroy(): void {
    this.io?.disconnect();
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.el.remove();
  }
}
