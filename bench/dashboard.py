"""Dashboard speed in a real JupyterLab + Chromium, on the benchmark logdir.

Measures, in one run:
- time from executing `%tensorboard --logdir …` to the first painted chart (the dashboard root's
  `data-ready="1"`), split into the kernel's load and the rest;
- bytes the kernel sent to the browser over the websocket while the dashboard opened;
- frame times (requestAnimationFrame deltas) while the mouse hovers across a chart and while a
  drag-zoom is made and reset.

    python bench/make_logdir.py            # once: bench/data/logdir (32 runs x 8 tags x 25,000 steps)
    python bench/dashboard.py [--logdir bench/data/logdir] [--out bench/results/dashboard.md]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from lab import count_received, JupyterLab, open_browser, open_notebook, run_all, write_notebook  # noqa: E402

FRAME_PROBE = """() => {
  window.__frames = [];
  let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__probe) requestAnimationFrame(tick); };
  window.__probe = true;
  requestAnimationFrame(tick);
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def frame_stats(page) -> dict[str, float]:
    page.evaluate("() => { window.__probe = false; }")
    frames = page.evaluate("() => window.__frames")[2:]  # the first deltas include the probe's start
    return {"frames": len(frames), "p50_ms": round(statistics.median(frames), 2),
            "p95_ms": round(percentile(frames, 0.95), 2), "max_ms": round(max(frames), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logdir", type=Path, default=REPO / "bench" / "data" / "logdir")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "dashboard.md")
    args = parser.parse_args(argv)
    logdir = args.logdir.resolve()
    if not logdir.is_dir():
        print(f"no logdir at {logdir}: run python bench/make_logdir.py first", file=sys.stderr)
        return 2

    root = Path(tempfile.mkdtemp(prefix="nbtb-bench-"))
    write_notebook(root / "bench.ipynb", [
        "%load_ext nbtb",
        f"%tensorboard --logdir {logdir} --reload_interval 0",
    ])
    result: dict[str, object] = {}
    with JupyterLab(root) as lab, open_browser((1600, 1200)) as ctx:
        page = ctx.new_page()

        received = count_received(page)
        open_notebook(page, lab, "bench.ipynb", timeout=180)
        bytes_before = received["bytes"]
        start = time.perf_counter()
        errors = run_all(page, timeout=600)
        kernel_done = time.perf_counter()
        if errors:
            print("\n".join(errors), file=sys.stderr)
            return 1
        page.wait_for_selector("[data-ready='1']", timeout=600_000)
        painted = time.perf_counter()
        page.wait_for_timeout(1500)  # the other visible cards' replies
        result["execute_to_first_paint_s"] = round(painted - start, 2)
        result["kernel_cells_s"] = round(kernel_done - start, 2)
        result["bytes_to_browser_at_open"] = received["bytes"] - bytes_before
        result["ws_frames_at_open"] = received["frames"]

        over = page.locator(".u-over").first
        over.scroll_into_view_if_needed()
        box = over.bounding_box()
        page.evaluate(FRAME_PROBE)
        for i in range(120):
            page.mouse.move(box["x"] + 2 + (box["width"] - 4) * i / 119, box["y"] + box["height"] / 2)
        result["hover"] = frame_stats(page)

        bytes_before = received["bytes"]
        page.evaluate(FRAME_PROBE)
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.3, y)
        page.mouse.down()
        for i in range(30):
            page.mouse.move(box["x"] + box["width"] * (0.3 + 0.3 * i / 29), y)
        page.mouse.up()
        page.wait_for_timeout(1000)
        page.mouse.dblclick(box["x"] + box["width"] / 2, y)
        page.wait_for_timeout(500)
        result["zoom"] = frame_stats(page)
        result["bytes_to_browser_zoom"] = received["bytes"] - bytes_before

    result["logdir"] = str(logdir.relative_to(REPO) if logdir.is_relative_to(REPO) else logdir)
    result["machine"] = f"{platform.machine()}, {__import__('os').cpu_count()} cores, python {platform.python_version()}"
    result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Dashboard speed (bench/dashboard.py)", "",
        f"{result['date']}, {result['machine']}, logdir `{result['logdir']}`", "",
        "| measure | value |", "|---|---|",
        f"| `%tensorboard` executed → first chart painted | {result['execute_to_first_paint_s']} s |",
        f"| of which the kernel cells (load + reply) | {result['kernel_cells_s']} s |",
        f"| bytes sent to the browser while opening | {result['bytes_to_browser_at_open'] / 1e6:.2f} MB |",
        f"| hover: frame time p50 / p95 / max | {result['hover']['p50_ms']} / {result['hover']['p95_ms']} / {result['hover']['max_ms']} ms |",
        f"| drag-zoom + reset: frame time p50 / p95 / max | {result['zoom']['p50_ms']} / {result['zoom']['p95_ms']} / {result['zoom']['max_ms']} ms |",
        f"| bytes sent for the zoom | {result['bytes_to_browser_zoom'] / 1e6:.3f} MB |",
    ]
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
