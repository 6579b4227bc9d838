/** The Audio tab: a card per tag × run with a step slider and a player per clip of the step. */
import { BlobUrls, el, type MediaContext, type MediaReply, MediaTab, type Renderer } from "./media";
import type { Buf } from "./protocol";


class AudioRenderer implements Renderer {
  private urls = new BlobUrls();
  render(body: HTMLElement, reply: MediaReply, buffers: Buf[]): void {
    reply.items.forEach((item, i) => {
      const buf = buffers[i];
      if (!buf) return;
      const audio = el("audio", "nbtb-audio");
      audio.controls = true;
      audio.preload = "metadata";
      audio.src = this.urls.make(buf, item.mime || "audio/wav");
      audio.dataset.index = String(item.index);
      if (item.sample_rate) audio.dataset.sampleRate = String(item.sample_rate);
      const row = el("div", "nbtb-audio-row");
      const label = el("span", "nbtb-audio-label", item.sample_rate ? `#${item.index} · ${item.sample_rate} Hz` : `#${item.index}`);
      row.append(audio, label);
      body.append(row);
    });
  }
  clear(): void {
    this.urls.revoke();
  }
}

export class AudioTab extends MediaTab {
  constructor(ctx: MediaContext) {
    super("audio", "audio", ctx, () => new AudioRenderer(), "audio-card");
  }
}
