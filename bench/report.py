"""Exported HTML report of the benchmark logdir (issue 8): file size, export time, time to first paint.

`nbtb export` of bench/data/logdir (32 runs x 8 scalar tags x 25,000 steps, histograms, images;
`python bench/make_logdir.py` writes it) with the default caps, in a fresh process (load included),
then the file opened from a file:// URL in headless Chromium, offline, with every non-file request
aborted. Time to first paint: navigation start -> the first scalar card painted (js/card.ts sets
`data-points` when it draws; a MutationObserver installed before the page's scripts records the
moment), plus the report's own marks (base64 decoded, inflated, unpacked, dashboard rendered).
Floors: < 10 MB and < 2 s.

    python bench/report.py [--logdir bench/data/logdir] [--repeat 5] [--out bench/results/report.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

FIRST_PAINT = """
window.__nbtbFirstPaint = null;
new MutationObserver((mutations, obs) => {
  for (const m of mutations) {
    if (m.target.matches && m.target.matches('[data-testid="card"][data-points]') && Number(m.target.dataset.points) > 0) {
      window.__nbtbFirstPaint = performance.now();
      obs.disconnect();
      return;
    }
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-points"] });
"""


def export(logdir: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NBTB_PROGRESS_AFTER": "600"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "nbtb.cli", "export", str(logdir), "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"export failed: {proc.stderr}")
    return {"export_s": round(seconds, 2), "bytes": out.stat().st_size, "cli_line": proc.stderr.strip()}


def first_paints(report: Path, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    runs, marks, outside = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            for _ in range(repeat):  # a fresh context each time: nothing cached between opens
                ctx = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
                ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                          else (outside.append(r.request.url), r.abort()))
                ctx.add_init_script(FIRST_PAINT)
                page = ctx.new_page()
                page.goto(report.as_uri())
                page.wait_for_function("() => window.__nbtbFirstPaint !== null", timeout=60_000)
                runs.append(page.evaluate("() => window.__nbtbFirstPaint"))
                marks.append(page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('mark')
                    .filter(m => m.name.startsWith('nbtb:')).map(m => [m.name.slice(5), m.startTime]))"""))
                marks[-1]["dom_content_loaded"] = page.evaluate(
                    "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
                ctx.close()
        finally:
            browser.close()
    median_marks = {k: round(statistics.median(m[k] for m in marks) / 1000, 3) for k in marks[0]}
    return {"first_paint_s": [round(r / 1000, 3) for r in runs],
            "first_paint_median_s": round(statistics.median(runs) / 1000, 3),
            "first_paint_max_s": round(max(runs) / 1000, 3),
            "marks_median_s": median_marks, "requests_outside_file": outside}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", type=Path, default=REPO / "bench" / "data" / "logdir")
    parser.add_argument("--repeat", type=int, default=5, help="page opens (median and max reported)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "report.json")
    args = parser.parse_args(argv)
    if not args.logdir.is_dir():
        raise SystemExit(f"{args.logdir} missing: run python bench/make_logdir.py first")
    target = Path(tempfile.mkdtemp(prefix="nbtb-bench-report-")) / "report.html"
    result: dict = {"logdir": args.logdir.name, **export(args.logdir, target)}
    result["mb"] = round(result["bytes"] / 1e6, 2)
    result.update(first_paints(target, args.repeat))
    result["floors"] = {"size_under_10_mb": result["bytes"] < 10_000_000,
                        "first_paint_under_2_s": result["first_paint_max_s"] < 2.0}
    result["platform"] = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, " \
                         f"{os.cpu_count()} cores (shared), Chromium headless"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if all(result["floors"].values()) and not result["requests_outside_file"] else 1


if __name__ == "__main__":
    sys.exit(main())
