"""Dashboard speed in a real JupyterLab + Chromium, on the benchmark logdir.

Measures, per opening (each in a fresh JupyterLab, kernel and browser; `%load_ext nbtb` runs
first, untimed, as a user's first cell would):
- time from executing `%tensorboard --logdir …` to the first painted chart (the dashboard root's
  `data-ready="1"`), page-side clocks, and the kernel's part (the cell's own timing);
- bytes the kernel sent to the browser over the websocket while the dashboard opened;
- frame times (requestAnimationFrame deltas) while the mouse hovers across a chart and while a
  drag-zoom is made and reset: at 60 Hz a frame is never shorter than 16.7 ms, so these show
  dropped frames, not work;
- per zoom and reset, from the dispatched mouseup (double-click), page-side: the main thread's
  work to the chart's axes redrawn and laid out; the input's frame done (style, layout, paint);
  and the lines on the screen (they are drawn in a worker where the page allows it);
- the work of one hover: a pointer move dispatched to the chart, its handlers (cursor, tooltip of
  every run) and the style/layout they cause, timed page-side per move.

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


HOVER_WORK = """(n) => {
  const over = document.querySelector('.u-over');
  const r = over.getBoundingClientRect();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    over.dispatchEvent(new MouseEvent('mousemove', {bubbles: true,
      clientX: r.left + 2 + (r.width - 4) * i / (n - 1), clientY: r.top + r.height / 2}));
    document.body.getBoundingClientRect();  // the style and layout the move caused, now
    times.push(performance.now() - t0);
  }
  return times;
}"""
ZOOM_PROBE = """() => {
  // Per zoom (mouseup ending a drag) and reset (dblclick), from the event reaching the page (a
  // capture listener, before uPlot's):
  // - work: to the chart redrawn (uPlot draws in a microtask queued by its own handler, so one
  //   queued after every handler runs later) and laid out, on the main thread;
  // - frame: to the first task after the next frame (rAF, then a timeout): the input's frame,
  //   its style, layout and paint included;
  // - lines: to the chart's lines on the screen (the lines canvas's data-drawnAt: when the
  //   worker, or the main thread, finished drawing them, on the page's clock).
  // The kernel's detail reply for the zoom lands later and is not counted here.
  window.__zoomWork = {mouseup: [], dblclick: []};
  window.__zoomFrame = {mouseup: [], dblclick: []};
  window.__zoomLines = {mouseup: [], dblclick: []};
  const lines = document.querySelector('[data-testid="chart-lines"]');
  let linesT0 = 0, linesType = '';
  new MutationObserver(() => {
    if (!linesType) return;
    window.__zoomLines[linesType].push(Number(lines.dataset.drawnAt) - linesT0);
    linesType = '';
  }).observe(lines, {attributes: true, attributeFilter: ['data-drawn']});
  for (const type of ['mouseup', 'dblclick']) {
    let t0 = 0;
    window.addEventListener(type, () => {
      t0 = performance.now();
      linesT0 = t0; linesType = type;
      requestAnimationFrame(() => setTimeout(() => window.__zoomFrame[type].push(performance.now() - t0), 0));
    }, true);
    window.addEventListener(type, () => queueMicrotask(() => queueMicrotask(() => {
      document.body.getBoundingClientRect();
      window.__zoomWork[type].push(performance.now() - t0);
    })));
  }
}"""


def zoom_work(page, box: dict, n: int) -> dict[str, list[float]]:
    """n drag-zooms and resets with the real mouse, timed page-side by ZOOM_PROBE."""
    page.evaluate(ZOOM_PROBE)
    y = box["y"] + box["height"] / 2
    for _ in range(n):
        page.mouse.move(box["x"] + box["width"] * 0.3, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=10)
        page.mouse.up()
        page.wait_for_timeout(400)  # the detail reply lands
        page.mouse.dblclick(box["x"] + box["width"] / 2, y)
        page.wait_for_timeout(300)
    out = {}
    for what, probe in (("work", "__zoomWork"), ("frame", "__zoomFrame"), ("lines", "__zoomLines")):
        got = page.evaluate(f"() => window.{probe}")
        # a double-click is also two mouseups: keep the mouseup that ended each drag (every 3rd)
        out[f"zoom_{what}"] = got["mouseup"][0::3]
        out[f"reset_{what}"] = got["dblclick"]
    return out


RUN_CELL = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = i;
  window.__t0 = performance.now();
  window.jupyterapp.commands.execute('notebook:run-cell');
}"""
# Cell i has finished: its execution count is back (run_cell clears it) and the kernel is idle.
# "Kernel idle" alone can hold just after the run command, before the kernel went busy, and
# the next timed cell would then wait behind the previous one.
DONE = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets[i].model.executionCount !== null
    && panel.sessionContext.session.kernel.status === 'idle';
}"""
PAINT_PROBE = """() => {
  window.__painted = null;
  new MutationObserver((ms, obs) => {
    if (document.querySelector('[data-ready="1"]')) { window.__painted = performance.now(); obs.disconnect(); }
  }).observe(document.body, {subtree: true, attributes: true, childList: true, attributeFilter: ['data-ready']});
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
    parser.add_argument("--repeat", type=int, default=3, help="openings; the median by first paint is reported")
    args = parser.parse_args(argv)
    logdir = args.logdir.resolve()
    load_before = __import__("os").getloadavg()[0]
    if not logdir.is_dir():
        print(f"no logdir at {logdir}: run python bench/make_logdir.py first", file=sys.stderr)
        return 2

    trials = [measure(logdir) for _ in range(args.repeat)]
    result = dict(sorted(trials, key=lambda r: r["execute_to_first_paint_s"])[(len(trials) - 1) // 2])
    result["execute_to_first_paint_s_all"] = [r["execute_to_first_paint_s"] for r in trials]
    result["kernel_cell_s_all"] = [r["kernel_cell_s"] for r in trials]
    result["loadavg_1min_before"] = round(load_before, 2)
    result["logdir"] = str(logdir.relative_to(REPO) if logdir.is_relative_to(REPO) else logdir)
    result["machine"] = f"{platform.machine()}, {__import__('os').cpu_count()} cores, python {platform.python_version()}"
    result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    met = "met" if result["execute_to_first_paint_s"] < 2 else "NOT met"
    work_met = "met" if result["hover_work"]["p95_ms"] < 16 else "NOT met"
    lines = [
        "# Dashboard speed (bench/dashboard.py)", "",
        f"{result['date']}, {result['machine']}, logdir `{result['logdir']}`; 1-min load average before: "
        f"{result['loadavg_1min_before']} (other jobs share the machine; times move with it)", "",
        "| measure | value |", "|---|---|",
        f"| **`%tensorboard` executed → first chart painted** (median of {args.repeat}) | "
        f"**{result['execute_to_first_paint_s']} s** (floor < 2 s: {met}); all: "
        f"{', '.join(str(v) for v in result['execute_to_first_paint_s_all'])} s |",
        f"| of which the `%tensorboard` cell in the kernel (load + widget + static picture) | "
        f"{result['kernel_cell_s']} s |",
        f"| bytes sent to the browser while opening | {result['bytes_to_browser_at_open'] / 1e6:.2f} MB |",
        f"| **hover: work per pointer move** (handlers + style/layout) p50 / p95 / max | "
        f"**{result['hover_work']['p50_ms']} / {result['hover_work']['p95_ms']} / {result['hover_work']['max_ms']} ms** "
        f"(floor < 16 ms: {work_met}) |",
        f"| hover: frame time p50 / p95 / max (rAF deltas, 60 Hz) | {result['hover']['p50_ms']} / {result['hover']['p95_ms']} / {result['hover']['max_ms']} ms |",
        *[f"| {label} p50 / p95 / max | {result[key]['p50_ms']} / {result[key]['p95_ms']} / {result[key]['max_ms']} ms |"
          for key, label in (
              ("zoom_work", "**zoom: main-thread work, mouseup → axes redrawn and laid out**"),
              ("zoom_frame", "zoom: mouseup → its frame done (style, layout, paint)"),
              ("zoom_lines", f"zoom: mouseup → lines on the screen (drawn in the {result['lines_drawn_in']} thread)"),
              ("reset_work", "**reset (double-click): main-thread work**"),
              ("reset_frame", "reset: dblclick → its frame done"),
              ("reset_lines", "reset: dblclick → lines on the screen"),
          )],
        f"| drag-zoom + reset: frame time p50 / p95 / max | {result['zoom']['p50_ms']} / {result['zoom']['p95_ms']} / {result['zoom']['max_ms']} ms |",
        f"| bytes sent for the zoom | {result['bytes_to_browser_zoom'] / 1e6:.3f} MB |",
    ]
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    print("\n".join(lines))
    return 0


def measure(logdir: Path) -> dict[str, object]:
    """One opening in a fresh JupyterLab, kernel and browser."""
    root = Path(tempfile.mkdtemp(prefix="nbtb-bench-"))
    write_notebook(root / "bench.ipynb", [
        "%load_ext nbtb",
        "import time as _time\n_t = _time.perf_counter()\n"
        f"%tensorboard --logdir {logdir} --reload_interval 0\n"
        "_cell_s = _time.perf_counter() - _t",
        "print(f'cell_s={_cell_s:.3f}')",
    ])
    result: dict[str, object] = {}
    with JupyterLab(root) as lab, open_browser((1600, 1200)) as ctx:
        page = ctx.new_page()
        received = count_received(page)
        open_notebook(page, lab, "bench.ipynb", timeout=180)
        page.evaluate(RUN_CELL, 0)  # %load_ext: the import, untimed
        page.wait_for_function(DONE, arg=0, timeout=120_000)
        bytes_before = received["bytes"]
        page.evaluate(PAINT_PROBE)
        page.evaluate(RUN_CELL, 1)
        page.wait_for_function("() => window.__painted !== null", timeout=600_000, polling=16)
        result["execute_to_first_paint_s"] = round(page.evaluate("() => window.__painted - window.__t0") / 1e3, 2)
        page.wait_for_function(DONE, arg=1, timeout=120_000)
        page.evaluate(RUN_CELL, 2)
        page.wait_for_function(DONE, arg=2, timeout=120_000)
        out = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-OutputArea").inner_text()
        result["kernel_cell_s"] = round(float(out.split("cell_s=")[1].split()[0]), 2)
        page.wait_for_timeout(1500)  # the other visible cards' replies
        result["bytes_to_browser_at_open"] = received["bytes"] - bytes_before

        over = page.locator(".u-over").first
        over.scroll_into_view_if_needed()
        # the charts draw their first pictures on the main thread, then hand them to the worker
        page.wait_for_function("() => document.querySelector('[data-testid=\"chart-lines\"]').dataset.where"
                               " === 'worker'", timeout=10_000)
        box = over.bounding_box()
        work = page.evaluate(HOVER_WORK, 200)
        result["hover_work"] = {"moves": len(work), "p50_ms": round(statistics.median(work), 2),
                                "p95_ms": round(percentile(work, 0.95), 2), "max_ms": round(max(work), 2)}
        page.evaluate(FRAME_PROBE)
        for i in range(120):
            page.mouse.move(box["x"] + 2 + (box["width"] - 4) * i / 119, box["y"] + box["height"] / 2)
        result["hover"] = frame_stats(page)

        for key, ms in zoom_work(page, box, 20).items():
            result[key] = {"n": len(ms), "p50_ms": round(statistics.median(ms), 2),
                           "p95_ms": round(percentile(ms, 0.95), 2), "max_ms": round(max(ms), 2)}
        result["lines_drawn_in"] = page.evaluate("() => document.querySelector('[data-testid=\"chart-lines\"]').dataset.where")
        page.wait_for_timeout(1000)  # the detail replies of those zooms

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
    return result


if __name__ == "__main__":
    sys.exit(main())
