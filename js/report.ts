/**
 * Entry of the exported HTML report (nbtb/report.py): the notebook dashboard, unchanged, on an
 * in-page model. The kernel's side of docs/protocol.md is answered from data embedded in the page
 * (a JSON index and a gzip blob), so every interaction works from a file:// URL with no network.
 */
import widget from "./dashboard";
import { answer, type ReportData, unpack } from "./reportdata";
import type { Callback, Model } from "./protocol";

/** An anywidget-like model whose state lives in the page and whose "kernel" is `answer`. */
export class ReportModel implements Model {
  private state: Map<string, unknown>;
  private listeners = new Map<string, Set<Callback>>();

  constructor(traits: Record<string, unknown>, private data: ReportData) {
    this.state = new Map(Object.entries(traits));
  }

  get(key: string): unknown {
    return this.state.get(key);
  }

  set(key: string, value: unknown): void {
    const old = this.state.get(key);
    // Like Backbone: no change event when the value is deeply equal.
    if (old === value || JSON.stringify(old) === JSON.stringify(value)) return;
    this.state.set(key, value);
    this.emit(`change:${key}`, this, value);
  }

  save_changes(): void {
    // Nothing to sync: the page is the whole application.
  }

  on(event: string, cb: Callback): void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(cb);
  }

  off(event: string, cb?: Callback): void {
    if (cb) this.listeners.get(event)?.delete(cb);
    else this.listeners.delete(event);
  }

  send(content: unknown): void {
    // Replies arrive asynchronously, as from a kernel: the components expect that order.
    setTimeout(() => {
      for (const [msg, buffers] of answer(this.data, content, this.state)) this.emit("msg:custom", msg, buffers);
    }, 0);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb(...args);
  }
}

function base64Bytes(text: string): Uint8Array {
  // Native decoding where the browser has it (Chromium 140+, Firefox 133+, Safari 18.2+).
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return native(text.trim());
  const bin = atob(text.trim());
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function gunzip(bytes: Uint8Array): Promise<ArrayBuffer> {
  if (bytes.length === 0) return new ArrayBuffer(0);
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

async function main(): Promise<void> {
  const el = document.getElementById("nbtb-report");
  const indexEl = document.getElementById("nbtb-report-index");
  const dataEl = document.getElementById("nbtb-report-data");
  if (!el || !indexEl || !dataEl) return;
  try {
    // Marks for bench/report.py: where the time to first paint goes.
    const index = JSON.parse(indexEl.textContent ?? "{}");
    const packed = base64Bytes(dataEl.textContent ?? "");
    performance.mark("nbtb:decoded");
    const blob = await gunzip(packed);
    performance.mark("nbtb:inflated");
    const data = unpack(index, blob);
    performance.mark("nbtb:unpacked");
    const model = new ReportModel(index.traits ?? {}, data);
    el.dataset.report = "1";
    widget.render({ model, el });
    performance.mark("nbtb:rendered");
  } catch (err) {
    const box = document.createElement("div");
    box.id = "nbtb-report-error";
    box.textContent = `This nbtb report could not be opened: ${String(err)}`;
    el.replaceChildren(box);
    throw err;
  }
}

if (typeof document !== "undefined" && document.getElementById("nbtb-report")) void main();
