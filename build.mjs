// Bundles the anywidget front end into nbtb/static/{dashboard.js,dashboard.css}, and the same
// components with an in-page model into nbtb/static/{report.js,report.css} for the exported HTML
// report (nbtb/report.py inlines them). Everything (uPlot and its CSS included) goes into these
// files: nothing is fetched at run time, so the dashboard works offline and in exported notebooks.
import { build } from "esbuild";

const watch = process.argv.includes("--watch");

// The graph layout (dagre) is bundled on its own and carried as a string: the Graphs tab starts
// it as a module Worker from a Blob URL, or imports it on the main thread where workers are
// refused (js/graph/layout.ts). dagre is thus in the bundle once, as text.
const layoutScript = await build({
  entryPoints: ["js/graph/layout.worker.ts"],
  bundle: true,
  format: "esm",
  minify: !watch,
  target: "es2020",
  write: false,
  legalComments: "none",
  logLevel: "warning",
});
const layoutSource = layoutScript.outputFiles[0].text;

const options = {
  entryPoints: { dashboard: "js/dashboard.ts", report: "js/report.ts" },
  outdir: "nbtb/static",
  bundle: true,
  format: "esm",
  minify: !watch,
  target: "es2020",
  // Notebook 6 loads RequireJS: keep UMD code from registering itself as an AMD module.
  define: { "define.amd": "false", __NBTB_LAYOUT_SRC__: JSON.stringify(layoutSource) },
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
