/**
 * The Images tab: a card per tag × run with a step slider; all images of the step side by
 * side (as Blob URLs of the bytes the kernel sent), an actual-size toggle per card, click
 * to enlarge, and brightness/contrast for the whole tab (CSS filters, as TensorBoard).
 */
import { BlobUrls, el, type MediaCard, type MediaContext, type MediaReply, MediaTab, type Renderer } from "./media";
import type { Buf } from "./protocol";


/** CSS filter for the brightness/contrast sliders (1 = unchanged). */
export function imageFilter(brightness: number, contrast: number): string {
  const b = Number.isFinite(brightness) ? Math.max(brightness, 0) : 1;
  const c = Number.isFinite(contrast) ? Math.max(contrast, 0) : 1;
  return b === 1 && c === 1 ? "none" : `brightness(${b}) contrast(${c})`;
}

class ImageRenderer implements Renderer {
  private urls = new BlobUrls();
  constructor(private enlarge: (src: string, alt: string) => void) {}

  render(body: HTMLElement, reply: MediaReply, buffers: Buf[]): void {
    reply.items.forEach((item, i) => {
      const buf = buffers[i];
      if (!buf) return;
      const img = el("img", "nbtb-image");
      img.src = this.urls.make(buf, item.mime || `image/${item.format || "png"}`);
      img.alt = `${reply.tag} · ${reply.run} · step ${reply.step} #${item.index}`;
      img.dataset.index = String(item.index);
      if (item.width) img.dataset.width = String(item.width);
      if (item.height) img.dataset.height = String(item.height);
      img.draggable = false;
      img.addEventListener("click", () => this.enlarge(img.src, img.alt));
      body.append(img);
    });
  }

  clear(): void {
    this.urls.revoke();
  }

  tools(card: MediaCard): HTMLElement[] {
    const b = el("button", "nbtb-icon-btn", "1:1");
    b.type = "button";
    b.title = "Actual size";
    b.setAttribute("aria-label", "Actual size");
    b.setAttribute("aria-pressed", "false");
    b.dataset.testid = "actual-size";
    b.addEventListener("click", () => {
      const on = !card.el.classList.contains("nbtb-actual-size");
      card.el.classList.toggle("nbtb-actual-size", on);
      b.setAttribute("aria-pressed", String(on));
    });
    return [b];
  }
}

export class ImagesTab extends MediaTab {
  private lightbox: HTMLDivElement;
  private big: HTMLImageElement;

  constructor(ctx: MediaContext) {
    super("images", "image", ctx, () => new ImageRenderer((src, alt) => this.open(src, alt)), "image-card");
    const slider = (label: string, testid: string) => {
      const input = el("input");
      input.type = "range";
      input.min = "0";
      input.max = "3";
      input.step = "0.05";
      input.value = "1";
      input.dataset.testid = testid;
      input.setAttribute("aria-label", label);
      input.addEventListener("input", apply);
      const wrap = el("label", "nbtb-field nbtb-inline-field");
      wrap.append(el("span", "", label), input);
      return { input, wrap };
    };
    const apply = () => {
      this.el.style.setProperty("--nbtb-image-filter", imageFilter(parseFloat(bright.input.value), parseFloat(contrast.input.value)));
    };
    const bright = slider("Brightness", "brightness");
    const contrast = slider("Contrast", "contrast");
    const reset = el("button", "nbtb-small-btn", "Reset");
    reset.type = "button";
    reset.addEventListener("click", () => {
      bright.input.value = "1";
      contrast.input.value = "1";
      apply();
    });
    this.toolbar.append(bright.wrap, contrast.wrap, reset);
    this.big = el("img", "nbtb-lightbox-img");
    this.lightbox = el("div", "nbtb-lightbox");
    this.lightbox.dataset.testid = "lightbox";
    this.lightbox.hidden = true;
    this.lightbox.tabIndex = -1;
    this.lightbox.append(this.big);
    this.lightbox.addEventListener("click", () => this.close());
    this.lightbox.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
    this.el.append(this.lightbox);
  }

  private open(src: string, alt: string): void {
    this.big.src = src;
    this.big.alt = alt;
    this.lightbox.hidden = false;
    this.lightbox.focus();
  }

  private close(): void {
    this.lightbox.hidden = true;
    this.big.removeAttribute("src");
  }
}
