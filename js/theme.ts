/**
 * Light/dark theme for the canvas.
 *
 * CSS colours follow the host's theme by themselves (dashboard.css chains JupyterLab →
 * VS Code → fallback variables), but uPlot paints axes and grid on a canvas with colours
 * read once. So we resolve the variables to concrete colours here and repaint when the
 * host switches theme (it flips attributes or classes on <body>).
 */

export interface Theme {
  dark: boolean;
  fg: string;
  bg: string;
  grid: string;
  font: string;
}

/** Explicit host markers win; otherwise judge by the luminance of the resolved background. */
export function detectDark(body: HTMLElement | null, bg: string | null, prefersDark: boolean): boolean {
  if (body) {
    const jp = body.getAttribute("data-jp-theme-light");
    if (jp === "false") return true;
    if (jp === "true") return false;
    const cl = body.classList;
    if (cl.contains("vscode-dark") || cl.contains("vscode-high-contrast")) return true;
    if (cl.contains("vscode-light") || cl.contains("vscode-high-contrast-light")) return false;
  }
  const lum = bg ? luminance(bg) : null;
  if (lum !== null) return lum < 0.5;
  return prefersDark;
}

/** Relative luminance 0..1 of an `rgb()`/`rgba()`/`#rrggbb` colour; null if unknown or transparent. */
export function luminance(color: string): number | null {
  let r: number;
  let g: number;
  let b: number;
  const m = color.match(/rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+%?))?/);
  if (m) {
    if (m[4] !== undefined && parseFloat(m[4]) === 0) return null;
    [r, g, b] = [+m[1], +m[2], +m[3]];
  } else {
    const h = color.trim().match(/^#([0-9a-f]{6})$/i);
    if (!h) return null;
    const v = parseInt(h[1], 16);
    [r, g, b] = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

function prefersDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/**
 * Reads the resolved `--nbtb-*` variables of the widget root (defined in dashboard.css)
 * and tags the root with data-theme so CSS and tests can see the decision.
 */
export function readTheme(root: HTMLElement): Theme {
  const cs = getComputedStyle(root);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  const bgRaw = v("--nbtb-bg", "");
  const dark = detectDark(document.body, bgRaw || null, prefersDark());
  root.dataset.theme = dark ? "dark" : "light";
  const fg = v("--nbtb-fg", dark ? "#e0e0e0" : "#212121");
  return {
    dark,
    fg,
    bg: bgRaw || (dark ? "#1e1e1e" : "#ffffff"),
    grid: dark ? "rgba(255,255,255,0.10)" : "rgba(0,0,0,0.08)",
    font: `11px ${v("--nbtb-font", "system-ui, sans-serif")}`,
  };
}

/**
 * Calls `onChange` whenever the host may have changed theme. Returns the cleanup.
 * JupyterLab flips body[data-jp-theme-*]; VS Code swaps body classes; a bare browser
 * follows prefers-color-scheme.
 */
export function watchTheme(onChange: () => void): () => void {
  let pending = 0;
  let late: ReturnType<typeof setTimeout> | undefined;
  // Coalesce bursts of attribute changes into one repaint. JupyterLab flips the body
  // attribute before its new theme stylesheet has loaded, so repaint once more a bit later.
  const fire = () => {
    clearTimeout(late);
    late = setTimeout(onChange, 600);
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      onChange();
    });
  };
  const obs = new MutationObserver(fire);
  obs.observe(document.body, {
    attributes: true,
    attributeFilter: ["class", "data-jp-theme-light", "data-jp-theme-name", "style"],
  });
  const mq = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  mq?.addEventListener("change", fire);
  return () => {
    obs.disconnect();
    mq?.removeEventListener("change", fire);
    if (pending) cancelAnimationFrame(pending);
    clearTimeout(late);
  };
}

/**
 * VS Code paints widget outputs white on purpose (vscode-jupyter#7161), which breaks dark
 * themes. dashboard.css overrides the class; an inline !important on the ancestor also
 * wins should the host's own rule be more specific.
 */
export function clearHostBackground(el: HTMLElement): void {
  const host = el.closest<HTMLElement>(".cell-output-ipywidget-background");
  host?.style.setProperty("background-color", "transparent", "important");
}
