import { describe, expect, it } from "vitest";
import { fromWire, graphOf } from "../../js/graph/data";
import { buildHierarchy, edgeLabel, initialExpansion, lcaChildren, visibleCount } from "../../js/graph/hierarchy";

describe("scopes", () => {
  it("puts a/b/c in metanode a, then a/b", () => {
    const h = buildHierarchy(graphOf([{ name: "a/b/c", op: "MatMul" }, { name: "a/d", op: "Relu" }]));
    expect(h.root.children.map((c) => c.id)).toEqual(["a"]);
    const a = h.byId.get("a")!;
    expect(a.kind).toBe("meta");
    expect(a.children.map((c) => c.id)).toEqual(["a/b", "a/d"]);
    expect(h.byId.get("a/b")!.children[0].id).toBe("a/b/c");
    expect(h.leafOf[0].id).toBe("a/b/c");
    expect(a.leaves).toBe(2);
  });

  it("moves an op that is also a scope to a/(a)", () => {
    const h = buildHierarchy(graphOf([{ name: "a", op: "Add" }, { name: "a/b", op: "Mul" }]));
    const a = h.byId.get("a")!;
    expect(a.kind).toBe("meta");
    expect(a.children.map((c) => c.id).sort()).toEqual(["a/(a)", "a/b"]);
    expect(h.leafOf[0].id).toBe("a/(a)");
    expect(h.leafOf[0].label).toBe("(a)");
  });
});

describe("series", () => {
  const chain = (k: number, op = "Conv2D") => Array.from({ length: k }, (_, i) => ({ name: `net/conv${i + 1}`, op }));

  it("groups 5+ numbered siblings of one op into pre[lo-hi]suf", () => {
    const h = buildHierarchy(graphOf([...chain(6), { name: "net/out", op: "Softmax" }]));
    const net = h.byId.get("net")!;
    const s = net.children.find((c) => c.kind === "series")!;
    expect(s.label).toBe("conv[1-6]");
    expect(s.children.map((c) => c.label)).toEqual(["conv1", "conv2", "conv3", "conv4", "conv5", "conv6"]);
    expect(net.children.map((c) => c.label)).toEqual(["conv[1-6]", "out"]);
    expect(h.leafOf[3].parent).toBe(s);
  });

  it("leaves 4 numbered siblings alone, and does not mix ops", () => {
    const four = buildHierarchy(graphOf(chain(4)));
    expect(four.byId.get("net")!.children.every((c) => c.kind === "op")).toBe(true);
    const mixed = buildHierarchy(graphOf([...chain(3, "Conv2D"), ...chain(6, "Relu").slice(3)]));
    expect(mixed.byId.get("net")!.children.some((c) => c.kind === "series")).toBe(false);
  });

  it("groups numbered blocks with the same inner structure", () => {
    const nodes = [];
    const edges = [];
    for (let b = 0; b < 5; b++) {
      nodes.push({ name: `m/block${b}/conv`, op: "Conv2D" }, { name: `m/block${b}/relu`, op: "Relu" });
      edges.push({ src: `m/block${b}/conv`, dst: `m/block${b}/relu` });
      if (b) edges.push({ src: `m/block${b - 1}/relu`, dst: `m/block${b}/conv` });
    }
    const h = buildHierarchy(graphOf(nodes, edges));
    const s = h.byId.get("m")!.children[0];
    expect(s.kind).toBe("series");
    expect(s.label).toBe("block[0-4]");
    // the chain between blocks is summarised inside the series
    expect([...s.edges.values()].map((e) => [e.src.label, e.dst.label])).toContainEqual(["block0", "block1"]);
  });
});

describe("structure templates", () => {
  it("gives identical blocks one template and counts them; a different block gets none", () => {
    const nodes = [];
    const edges = [];
    for (const b of ["layer1", "layer2", "layer3"]) {
      nodes.push({ name: `r/${b}/conv`, op: "Conv2D" }, { name: `r/${b}/bn`, op: "BatchNorm" }, { name: `r/${b}/relu`, op: "Relu" });
      edges.push({ src: `r/${b}/conv`, dst: `r/${b}/bn` }, { src: `r/${b}/bn`, dst: `r/${b}/relu` });
    }
    // same ops, other wiring: not the same structure
    nodes.push({ name: "r/odd/conv", op: "Conv2D" }, { name: "r/odd/bn", op: "BatchNorm" }, { name: "r/odd/relu", op: "Relu" });
    edges.push({ src: "r/odd/relu", dst: "r/odd/conv" }, { src: "r/odd/conv", dst: "r/odd/bn" });
    const h = buildHierarchy(graphOf(nodes, edges));
    const [l1, l2, l3, odd] = ["layer1", "layer2", "layer3", "odd"].map((b) => h.byId.get(`r/${b}`)!);
    expect(l1.template).toBeGreaterThanOrEqual(0);
    expect(l2.template).toBe(l1.template);
    expect(l3.template).toBe(l1.template);
    expect(l1.templateCount).toBe(3);
    expect(odd.template).toBe(-1);
    expect(odd.hash).not.toBe(l1.hash);
  });
});

describe("edge summaries", () => {
  const g = graphOf(
    [
      { name: "in/x", op: "Placeholder" },
      { name: "in/y", op: "Placeholder" },
      { name: "f/mul", op: "Mul" },
      { name: "f/add", op: "Add" },
      { name: "f/init", op: "NoOp" },
    ],
    [
      { src: "in/x", dst: "f/mul", shape: "[2,3]" },
      { src: "in/y", dst: "f/mul", shape: "[2,3]" },
      { src: "f/mul", dst: "f/add", shape: "[2,3]" },
      { src: "in/x", dst: "f/init", control: true },
    ],
  );
  const h = buildHierarchy(g);

  it("summarises edges between groups at their lowest common group, with counts and shapes", () => {
    const top = [...h.root.edges.values()];
    expect(top).toHaveLength(1);
    expect(top[0].src.id).toBe("in");
    expect(top[0].dst.id).toBe("f");
    expect(top[0].data).toBe(2);
    expect(top[0].control).toBe(1);
    expect(top[0].shapes.get("[2,3]")).toBe(2);
    expect(edgeLabel(top[0])).toBe("2 tensors [2,3] +1 control");
    const inner = [...h.byId.get("f")!.edges.values()];
    expect(inner.map((e) => [e.src.label, e.dst.label, edgeLabel(e)])).toEqual([["mul", "add", "[2,3]"]]);
  });

  it("marks where outside edges cross into and out of each group (bridges)", () => {
    const f = h.byId.get("f")!;
    expect([...f.bridgeIn.entries()].map(([c, k]) => [c.label, k]).sort()).toEqual([["init", 1], ["mul", 2]]);
    expect(f.bridgeOut.size).toBe(0);
    const inn = h.byId.get("in")!;
    expect([...inn.bridgeOut.entries()].map(([c, k]) => [c.label, k]).sort()).toEqual([["x", 2], ["y", 1]]);
    expect(h.root.bridgeIn.size + h.root.bridgeOut.size).toBe(0);
  });

  it("finds the children of the lowest common group", () => {
    const [a, b] = lcaChildren(h.leafOf[0], h.leafOf[3])!;
    expect([a.id, b.id]).toEqual(["in", "f"]);
    expect(lcaChildren(h.leafOf[2], h.leafOf[2])).toBeNull();
  });

  it("keeps input and output lists per node", () => {
    expect(h.inEdges[2].map((e) => g.name[g.src[e]])).toEqual(["in/x", "in/y"]);
    expect(h.outEdges[0].map((e) => g.name[g.dst[e]])).toEqual(["f/mul", "f/init"]);
  });
});

describe("embeddings", () => {
  it("draws an inputless Const feeding one node and a Summary of one node inside that node", () => {
    const g = graphOf(
      [
        { name: "w", op: "Const" },
        { name: "mm", op: "MatMul" },
        { name: "x", op: "Placeholder" },
        { name: "s", op: "ScalarSummary" },
      ],
      [
        { src: "w", dst: "mm" },
        { src: "x", dst: "mm" },
        { src: "mm", dst: "s" },
      ],
    );
    const h = buildHierarchy(g);
    expect(h.root.children.map((c) => c.id).sort()).toEqual(["mm", "x"]);
    expect(h.leafOf[0].id).toBe("mm");
    expect(h.leafOf[3].id).toBe("mm");
    expect(h.byId.get("mm")!.embedded.sort()).toEqual([0, 3]);
    expect(h.root.edges.size).toBe(1); // x -> mm only: embedded nodes have no drawn edges
  });

  it("embeds a constant shared by identical blocks in each, so the blocks stay alike", () => {
    const nodes = [{ name: "k", op: "prim::Constant" }];
    const edges = [];
    for (let b = 0; b < 3; b++) {
      nodes.push({ name: `blk${b}/conv`, op: "aten::conv" }, { name: `blk${b}/relu`, op: "aten::relu" });
      edges.push({ src: "k", dst: `blk${b}/conv` }, { src: `blk${b}/conv`, dst: `blk${b}/relu` });
    }
    const h = buildHierarchy(graphOf(nodes, edges));
    expect(h.root.children.map((c) => c.id)).toEqual(["blk0", "blk1", "blk2"]);
    for (let b = 0; b < 3; b++) expect(h.byId.get(`blk${b}/conv`)!.embedded).toEqual([0]);
    expect(h.root.edges.size).toBe(0);
    expect(h.byId.get("blk0")!.template).toBe(h.byId.get("blk2")!.template);
    expect(h.byId.get("blk0")!.templateCount).toBe(3);
  });
});

describe("collapsed by default", () => {
  it("opens the biggest scope only while the picture is nearly empty", () => {
    const nodes = [{ name: "input/x", op: "IO Node" }, { name: "output/y", op: "IO Node" }];
    for (let l = 0; l < 4; l++) for (let b = 0; b < 3; b++) for (const op of ["conv", "bn", "relu"]) nodes.push({ name: `Net/layer${l}/block${b}/${op}`, op });
    const h = buildHierarchy(graphOf(nodes));
    expect(visibleCount(h.root, new Set())).toBe(3);
    const open = initialExpansion(h.root);
    // Net opens (3 + 4 layers = 7 < 8), then its largest layer (7 + 3 blocks = 10): enough.
    expect(open.has("Net")).toBe(true);
    expect(open.size).toBe(2);
    expect(visibleCount(h.root, open)).toBe(10);
  });

  it("never opens a series, nor past the budget", () => {
    const nodes = Array.from({ length: 6 }, (_, i) => ({ name: `tower_${i}/op`, op: "X" }));
    const h = buildHierarchy(graphOf(nodes));
    expect(h.root.children[0].kind).toBe("series");
    expect(initialExpansion(h.root).size).toBe(0);
    const wide = buildHierarchy(graphOf(Array.from({ length: 50 }, (_, i) => ({ name: `big/op${i}x`, op: `Op${i}` }))));
    expect(initialExpansion(wide.root).size).toBe(0);
  });
});

describe("wire format", () => {
  it("decodes columns and rejects misaligned ones", () => {
    const wire = {
      nodes: { name: ["a", "b"], op: ["X", "Y"], device: [0, 1], devices: ["", "/cpu:0"], shape: [null, "[1]"], attrs: [{}, { k: "v" }] as Record<string, string>[] },
      edges: { src: [0], dst: [1], control: [1], shape: [null] as (string | null)[] },
    };
    const g = fromWire(wire);
    expect(g.device).toEqual(["", "/cpu:0"]);
    expect(g.control).toEqual([true]);
    expect(() => fromWire({ ...wire, edges: { ...wire.edges, dst: [5] } })).toThrow(/outside/);
    expect(() => fromWire({ ...wire, nodes: { ...wire.nodes, op: ["X"] } })).toThrow(/nodes.op/);
  });
});

describe("legend", () => {
  it("names the op types, devices and repeated structures drawn, most frequent first", async () => {
    const { legendEntries } = await import("../../js/graph/legend");
    const nodes = [];
    for (const b of ["b1", "b2"]) nodes.push({ name: `${b}/conv`, op: "Conv2D", device: "/gpu:0" }, { name: `${b}/relu`, op: "Relu", device: "/gpu:0" });
    nodes.push({ name: "x", op: "Relu", device: "/cpu:0" }, { name: "y", op: "Relu", device: "" });
    const h = buildHierarchy(graphOf(nodes));
    const drawnOps = [h.byId.get("x")!, h.byId.get("y")!, h.byId.get("b1/conv")!];
    expect(legendEntries(h, drawnOps, "op").map((e) => [e.label, e.count])).toEqual([["Relu", 2], ["Conv2D", 1]]);
    // a node without a device has no colour and no entry
    expect(legendEntries(h, drawnOps, "device").map((e) => e.label)).toEqual(["/cpu:0", "/gpu:0"]);
    const blocks = [h.byId.get("b1")!, h.byId.get("b2")!, h.byId.get("x")!];
    expect(legendEntries(h, blocks, "structure").map((e) => [e.label, e.count])).toEqual([["b1 ×2 alike", 2]]);
    expect(legendEntries(h, blocks, "device").map((e) => [e.label, e.count])).toEqual([["/gpu:0", 2], ["/cpu:0", 1]]);
  });
});
