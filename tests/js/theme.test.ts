import { describe, expect, it } from "vitest";
import { detectDark, luminance } from "../../js/theme";

/** Just enough of <body> for detectDark. */
function body(attrs: Record<string, string>, classes: string[] = []): HTMLElement {
  return {
    getAttribute: (k: string) => attrs[k] ?? null,
    classList: { contains: (c: string) => classes.includes(c) },
  } as unknown as HTMLElement;
}

describe("theme detection", () => {
  it("follows JupyterLab's body attribute first", () => {
    expect(detectDark(body({ "data-jp-theme-light": "false" }), "rgb(255, 255, 255)", false)).toBe(true);
    expect(detectDark(body({ "data-jp-theme-light": "true" }), "rgb(0, 0, 0)", true)).toBe(false);
  });
  it("then VS Code's body classes", () => {
    expect(detectDark(body({}, ["vscode-dark"]), null, false)).toBe(true);
    expect(detectDark(body({}, ["vscode-high-contrast"]), null, false)).toBe(true);
    expect(detectDark(body({}, ["vscode-light"]), null, true)).toBe(false);
  });
  it("then the luminance of the resolved background, then prefers-color-scheme", () => {
    expect(detectDark(body({}), "rgb(30, 30, 30)", false)).toBe(true);
    expect(detectDark(body({}), "#fafafa", true)).toBe(false);
    expect(detectDark(body({}), "rgba(0, 0, 0, 0)", true)).toBe(true);
    expect(detectDark(body({}), null, false)).toBe(false);
  });
  it("computes relative luminance", () => {
    expect(luminance("rgb(255, 255, 255)")).toBeCloseTo(1, 12);
    expect(luminance("#000000")).toBe(0);
    expect(luminance("rgba(10, 10, 10, 0)")).toBeNull();
    expect(luminance("Canvas")).toBeNull();
  });
});
