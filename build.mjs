// Bundles the anywidget front end into nbtb/static/{dashboard.js,dashboard.css}, and the same
// components with an in-page model into nbtb/static/{report.js,report.css} for the exported HTML
// report (nbtb/report.py inlines them). Everything (uPlot and its CSS included) goes into these
// files: nothing is fetched at run time, so the dashboard works offline and in exported notebooks.
import { build } from "esbuild";

const watch = process.argv.includes("--watch");

const options = {
  entryPoints: { dashboard: "js/dashboard.ts", report: "js/report.ts" },
  outdir: "nbtb/static",
  bundle: true,
  format: "esm",
  minify: !watch,
  target: "es2020",
  // Notebook 6 loads RequireJS: keep UMD code from registering itself as an AMD module.
  define: { "define.amd": "false" },
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
