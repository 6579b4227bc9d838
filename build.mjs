// Bundles the anywidget front end into nbtb/static/{dashboard.js,dashboard.css}, and the same
// components with an in-page model into nbtb/static/{report.js,report.css} for the exported HTML
// report (nbtb/report.py inlines them). Everything (uPlot and its CSS included) goes into these
// files: nothing is fetched at run time, so the dashboard works offline and in exported notebooks.
import { build } from "esbuild";

const watch = process.argv.includes("--watch");

// Two scripts run in Web Workers started from Blob URLs, so each is bundled on its own and
// carried as a string: the graph layout (dagre: the Graphs tab, js/graph/layout.ts, which falls
// back to importing it on the main thread where workers are refused, so dagre is in the bundle
// once, as text) and the scalar charts' line drawing (js/lines.worker.ts, js/linelayer.ts).
async function workerSource(entry, format) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format,
    minify: !watch,
    target: "es2020",
    write: false,
    legalComments: "none",
    logLevel: "warning",
  });
  return out.outputFiles[0].text;
}
// The layout is an ES module (the main-thread fallback imports it); the lines worker is a classic
// script: module workers from blob: URLs fail in a file:// page (the exported report).
const layoutSource = await workerSource("js/graph/layout.worker.ts", "esm");
const linesSource = await workerSource("js/lines.worker.ts", "iife");

const options = {
  entryPoints: { dashboard: "js/dashboard.ts", report: "js/report.ts" },
  outdir: "nbtb/static",
  bundle: true,
  format: "esm",
  minify: !watch,
  target: "es2020",
  // Notebook 6 loads RequireJS: keep UMD code from registering itself as an AMD module.
  define: {
    "define.amd": "false",
    __NBTB_LAYOUT_SRC__: JSON.stringify(layoutSource),
    __NBTB_LINES_SRC__: JSON.stringify(linesSource),
  },
  legalComments: "none",
  logLevel: "info",
};

if (watch) {
  const { context } = await import("esbuild");
  const ctx = await context(options);
  await ctx.watch();
} else {
  await build(options);
}
