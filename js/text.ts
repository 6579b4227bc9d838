/**
 * The Text tab: a card per tag × run with a step slider, each text rendered as sanitized
 * markdown (markdown.ts). Tags and run names are set as text, never parsed.
 */
import { el, type MediaContext, type MediaReply, MediaTab, type Renderer, decodeText } from "./media";
import { setMarkdown } from "./markdown";
import type { Buf } from "./protocol";


class TextRenderer implements Renderer {
  render(body: HTMLElement, reply: MediaReply, buffers: Buf[]): void {
    reply.items.forEach((_item, i) => {
      const buf = buffers[i];
      if (!buf) return;
      const div = el("div", "nbtb-markdown");
      div.dataset.testid = "markdown";
      setMarkdown(div, decodeText(buf));
      body.append(div);
    });
  }
  clear(): void {}
}

export class TextTab extends MediaTab {
  constructor(ctx: MediaContext) {
    super("text", "text", ctx, () => new TextRenderer(), "text-card");
  }
}
