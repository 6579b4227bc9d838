/**
 * The detail panel: for an op its op type, device, output shape, attributes, inputs and outputs
 * (each a link that selects that node); for a group its op count, devices, template and the ops
 * it holds by type. Text only (textContent): every string here comes from the log.
 */
import { el } from "../dom";
import type { GNode, Hierarchy } from "./hierarchy";

function row(k: string, v: string, testid?: string): HTMLElement {
  const r = el("div", "nbtb-gd-row");
  const val = el("span", "nbtb-gd-val", v);
  if (testid) val.dataset.testid = testid;
  r.append(el("span", "nbtb-gd-key", k), val);
  return r;
}

function section(title: string, count: number): { box: HTMLElement; list: HTMLElement } {
  const box = el("div", "nbtb-gd-section");
  box.append(el("div", "nbtb-gd-title", `${title} (${count})`));
  const list = el("div", "nbtb-gd-list");
  box.append(list);
  return { box, list };
}

const MAX_LIST = 200;

export function renderDetails(target: HTMLElement, h: Hierarchy, n: GNode | null, pick: (index: number) => void): void {
  target.replaceChildren();
  if (!n) {
    target.append(el("div", "nbtb-empty", "Click a node to see its details."));
    return;
  }
  const d = h.data;
  const head = el("div", "nbtb-gd-name", n.kind === "op" ? d.name[n.index] : n.id);
  head.dataset.testid = "graph-details-name";
  head.title = head.textContent ?? "";
  target.append(head);
  if (n.kind === "op") {
    const i = n.index;
    target.append(row("Op", d.op[i], "graph-details-op"));
    if (d.device[i]) target.append(row("Device", d.device[i]));
    if (d.shape[i]) target.append(row("Output shape", d.shape[i] as string));
    const attrs = Object.entries(d.attrs[i] ?? {});
    if (attrs.length) {
      const { box, list } = section("Attributes", attrs.length);
      for (const [k, v] of attrs) list.append(row(k, v));
      target.append(box);
    }
    const link = (j: number, extra: string, host = false) => {
      const a = el("button", "nbtb-gd-link", d.name[j]);
      a.type = "button";
      a.title = `${d.name[j]} (${d.op[j]})${extra}`;
      const line = el("div", "nbtb-gd-io");
      line.append(a);
      if (extra) line.append(el("span", "nbtb-gd-shape", extra));
      if (host) line.append(el("span", "nbtb-gd-shape", " (embedded)"));
      a.addEventListener("click", () => pick(j));
      return line;
    };
    const edgeExtra = (e: number) => (d.control[e] ? " control" : d.edgeShape[e] ? ` ${d.edgeShape[e]}` : "");
    for (const [title, edges, end] of [["Inputs", h.inEdges[i], d.src], ["Outputs", h.outEdges[i], d.dst]] as const) {
      const { box, list } = section(title, edges.length);
      box.dataset.testid = `graph-details-${title.toLowerCase()}`;
      for (const e of edges.slice(0, MAX_LIST)) list.append(link(end[e], edgeExtra(e), n.embedded.includes(end[e])));
      if (edges.length > MAX_LIST) list.append(el("div", "nbtb-empty", `… ${edges.length - MAX_LIST} more`));
      target.append(box);
    }
    return;
  }
  target.append(row("Kind", n.kind === "series" ? `series of ${n.children.length}` : "name scope", "graph-details-op"));
  target.append(row("Ops inside", String(n.leaves)));
  if (n.templateCount > 1) target.append(row("Same structure", `${n.templateCount} groups (template ${n.template + 1})`));
  const devs = [...n.devices.entries()].filter(([k]) => k).sort((a, b) => b[1] - a[1]);
  if (devs.length) target.append(row("Devices", devs.map(([k, c]) => `${k} (${c})`).join(", ")));
  const ops = new Map<string, number>();
  const walk = (m: GNode) => {
    if (m.kind === "op") ops.set(d.op[m.index], (ops.get(d.op[m.index]) ?? 0) + 1);
    else for (const c of m.children) walk(c);
  };
  walk(n);
  const { box, list } = section("Ops by type", ops.size);
  for (const [op, c] of [...ops.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) list.append(row(op, String(c)));
  target.append(box);
}
