// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { graphOf } from "../../js/graph/data";
import { renderDetails } from "../../js/graph/details";
import { buildHierarchy } from "../../js/graph/hierarchy";
import { runJobs } from "../../js/graph/layoutcore";
import { Layouts } from "../../js/graph/layout";
import { GraphCanvas } from "../../js/graph/render";
import { searchNodes } from "../../js/graph/search";

// Node names, ops and attributes come from the log: markup in them must stay text.
const EVIL = '<img src=x onerror="window.__pwned=1">';
const g = graphOf(
  [
    { name: `scope/${EVIL}`, op: `<b>Op</b>`, attrs: { [`<i>k</i>`]: `<script>alert(1)</script>` }, device: "/cpu:0" },
    { name: "scope/next", op: "Relu" },
  ],
  [{ src: `scope/${EVIL}`, dst: "scope/next", shape: "<u>[2]</u>" }],
);

describe("untrusted text", () => {
  it("details show names, ops, attributes and inputs as text", () => {
    const h = buildHierarchy(g);
    const box = document.createElement("div");
    renderDetails(box, h, h.leafOf[0], () => {});
    expect(box.querySelector("img, b, i, script, u")).toBeNull();
    expect(box.textContent).toContain(EVIL);
    expect(box.textContent).toContain("<script>alert(1)</script>");
    renderDetails(box, h, h.leafOf[1], () => {});
    expect(box.querySelector("img")).toBeNull();
    expect([...box.querySelectorAll(".nbtb-gd-link")].map((a) => a.textContent)).toEqual([`scope/${EVIL}`]);
  });

  it("the drawing labels nodes and edges with text nodes", async () => {
    const h = buildHierarchy(g);
    const layouts = await new Layouts(async (js, known) => ({ results: runJobs(js, known), where: "test" })).layout(h, new Set(["scope"]));
    const canvas = new GraphCanvas({ onClick: () => {} });
    canvas.draw(h, new Set(["scope"]), layouts, "op");
    expect(canvas.svg.querySelector("img, b, script, u")).toBeNull();
    const ids = [...canvas.svg.querySelectorAll("[data-testid=graph-node]")].map((e) => e.getAttribute("data-id"));
    expect(ids).toContain(`scope/${EVIL}`);
    expect(canvas.svg.textContent).toContain("<u>[2]</u>");
  });
});

describe("search", () => {
  it("ranks an exact name, then a name ending with the query, then shorter names", () => {
    const h = buildHierarchy(graphOf([{ name: "a/conv/relu" }, { name: "relu" }, { name: "b/relu" }, { name: "x/relu_1" }]));
    expect(searchNodes(h, "RELU").map((x) => x.name)).toEqual(["relu", "b/relu", "a/conv/relu", "x/relu_1"]);
    expect(searchNodes(h, "  ")).toEqual([]);
    expect(searchNodes(h, "relu", 2)).toHaveLength(2);
  });
});
