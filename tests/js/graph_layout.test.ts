import { describe, expect, it } from "vitest";
import { graphOf } from "../../js/graph/data";
import { buildHierarchy } from "../../js/graph/hierarchy";
import { BRIDGE_IN, BRIDGE_OUT, collapsedSize, type Engine, Layouts, visibleGroups } from "../../js/graph/layout";
import { expandedSize, HEADER, PAD, runJobs } from "../../js/graph/layoutcore";

// Three scopes of three ops in a chain; "b" holds a sub-scope.
const g = graphOf(
  [
    { name: "a/x", op: "X" },
    { name: "a/y", op: "Y" },
    { name: "b/in", op: "Id" },
    { name: "b/sub/p", op: "P" },
    { name: "b/sub/q", op: "Q" },
    { name: "c/out", op: "Out" },
  ],
  [
    { src: "a/x", dst: "a/y" },
    { src: "a/y", dst: "b/in" },
    { src: "b/in", dst: "b/sub/p" },
    { src: "b/sub/p", dst: "b/sub/q" },
    { src: "b/sub/q", dst: "c/out" },
  ],
);

function counting(): { engine: Engine; jobs: string[][] } {
  const jobs: string[][] = [];
  const engine: Engine = async (js, known) => {
    jobs.push(js.map((j) => j.id));
    return { results: runJobs(js, known), where: "test" };
  };
  return { engine, jobs };
}

describe("layout of the visible hierarchy", () => {
  it("lays out only the root while everything is collapsed", async () => {
    const h = buildHierarchy(g);
    const { engine, jobs } = counting();
    const L = new Layouts(engine);
    const res = await L.layout(h, new Set());
    expect(jobs).toEqual([["__root__"]]);
    const root = res.get("__root__")!;
    expect(Object.keys(root.nodes).sort()).toEqual(["a", "b", "c"]);
    // bottom to top: the input scope below the output scope
    expect(root.nodes.a.y).toBeGreaterThan(root.nodes.c.y);
    expect(root.nodes.a.w).toBe(collapsedSize(h.byId.get("a")!).w);
  });

  it("on expand lays out the opened group and its ancestors only, children first", async () => {
    const h = buildHierarchy(g);
    const { engine, jobs } = counting();
    const L = new Layouts(engine);
    await L.layout(h, new Set());
    const open = new Set(["b"]);
    L.invalidate(h.byId.get("b")!.parent);
    let res = await L.layout(h, open);
    expect(jobs[1]).toEqual(["b", "__root__"]);
    // the open group is as big as its contents, and bigger than when collapsed
    const b = res.get("b")!;
    expect(res.get("__root__")!.nodes.b.w).toBeCloseTo(expandedSize(b).w);
    expect(res.get("__root__")!.nodes.b.h).toBeCloseTo(b.height + HEADER + PAD);
    expect(res.get("__root__")!.nodes.b.w).toBeGreaterThan(collapsedSize(h.byId.get("b")!).w);
    // opening b/sub: b/sub, b and root again, a and c never
    L.open(h.byId.get("b/sub")!, open);
    res = await L.layout(h, open);
    expect(jobs[2]).toEqual(["b/sub", "b", "__root__"]);
    expect(visibleGroups(h.root, open).map((n) => n.id)).toEqual(["b/sub", "b", "__root__"]);
    // closing b/sub keeps its layout for later: only b and root are laid out
    L.close(h.byId.get("b/sub")!, open);
    await L.layout(h, open);
    expect(jobs[3]).toEqual(["b", "__root__"]);
    L.open(h.byId.get("b/sub")!, open);
    await L.layout(h, open);
    expect(jobs[4]).toEqual(["b", "__root__"]); // b/sub came from the cache
    // closing b closes b/sub inside it; b's layout (made with b/sub open) is then stale
    L.close(h.byId.get("b")!, open);
    expect([...open]).toEqual([]);
    await L.layout(h, open);
    L.open(h.byId.get("b")!, open);
    res = await L.layout(h, open);
    expect(jobs[6]).toEqual(["b", "__root__"]);
    expect(res.get("b")!.nodes["b/sub"].w).toBe(collapsedSize(h.byId.get("b/sub")!).w);
  });

  it("closes the open groups inside a series, whose members' ids do not start with the series' id", async () => {
    const nodes = Array.from({ length: 5 }, (_, i) => [{ name: `t/blk${i}/in/a`, op: "A" }, { name: `t/blk${i}/out`, op: "B" }]).flat();
    const h = buildHierarchy(graphOf(nodes));
    const series = h.byId.get("t")!.children[0];
    expect(series.kind).toBe("series");
    const L = new Layouts(async (js, known) => ({ results: runJobs(js, known), where: "test" }));
    const open = new Set<string>();
    L.open(series, open);
    L.open(h.byId.get("t/blk2")!, open);
    L.open(h.byId.get("t/blk2/in")!, open);
    await L.layout(h, new Set([...open, "t"]));
    L.close(series, open);
    expect([...open]).toEqual([]);
  });

  it("keeps children inside their group's box", async () => {
    const h = buildHierarchy(g);
    const L = new Layouts(async (js, known) => ({ results: runJobs(js, known), where: "test" }));
    const res = await L.layout(h, new Set(["b", "b/sub"]));
    const b = res.get("b")!;
    for (const box of Object.values(b.nodes)) {
      expect(box.x - box.w / 2).toBeGreaterThanOrEqual(0);
      expect(box.x + box.w / 2).toBeLessThanOrEqual(b.width + 0.01);
      expect(box.y + box.h / 2).toBeLessThanOrEqual(b.height + 0.01);
    }
    // inside b: its own edge, and bridges from its border to the children outside edges reach
    expect(b.edges.map((e) => [e.v, e.w]).sort()).toEqual([[BRIDGE_IN, "b/in"], ["b/in", "b/sub"], ["b/sub", BRIDGE_OUT]].sort());
    // bottom to top: the entry below what it feeds, the exit above
    expect(b.nodes[BRIDGE_IN].y).toBeGreaterThan(b.nodes["b/in"].y);
    expect(b.nodes[BRIDGE_OUT].y).toBeLessThan(b.nodes["b/sub"].y);
    const sub = res.get("b/sub")!;
    expect(sub.edges.map((e) => [e.v, e.w]).sort()).toEqual([[BRIDGE_IN, "b/sub/p"], ["b/sub/p", "b/sub/q"], ["b/sub/q", BRIDGE_OUT]].sort());
    expect(res.get("__root__")!.edges.some((e) => e.v === BRIDGE_IN || e.w === BRIDGE_OUT)).toBe(false);
  });
});
