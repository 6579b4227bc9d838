"""Live updates, measured in a real JupyterLab + Chromium.

- latency: time from `cb.log(...)` in a running cell to the point drawn by the dashboard above
  (the card's lines canvas drawn with `data-last-step` at or past that step, at the time the
  drawing finished), for 50 points logged 200 ms apart; kernel and browser share this machine's
  clock.
- overhead: mean time of one `cb.log(step, loss=…)` call in the training thread with the dashboard
  displayed, over 10,000 calls (unpaced, so at well over 10,000 calls/s).

    python bench/live.py [--out bench/results/live.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from lab import JupyterLab, cell_output, open_browser, open_notebook, write_notebook  # noqa: E402

CELLS = [
    "%load_ext nbtb",
    "import json, time, nbtb\n"
    "cb = nbtb.Callback({logdir!r} + '/live')\n"
    "cb.log(0, loss=1.0)\ncb.flush()\n"
    "nbtb.show({logdir!r}, reload_interval=30)",
    "t = time.perf_counter()\n"
    "for i in range(1, 10001):\n"
    "    cb.log(i, loss=0.5)\n"
    "print(json.dumps({{'per_call_us': (time.perf_counter() - t) / 10000 * 1e6}}))",
    "sent = {{}}\n"
    "for k in range(10001, 10051):\n"
    "    sent[k] = time.time()\n"
    "    cb.log(k, loss=0.1)\n"
    "    time.sleep(0.2)\n"
    "print(json.dumps(sent))",
]
RUN_CELL = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = i;
  window.jupyterapp.commands.execute('notebook:run-cell');
  return true;
}"""
IDLE = "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'"
OBSERVE = """() => {
  // The card's lines canvas reports each picture once it is on the screen (data-drawn, with
  // data-drawnAt: when the main thread or the lines worker finished drawing it, on the page's
  // clock); the card's data-last-step, set before the picture was asked for, says what it holds.
  const card = document.querySelector('[data-testid="card"][data-tag="loss"]');
  window.__painted = [];
  new MutationObserver(() => {
    const lines = card.querySelector('[data-testid="chart-lines"]');
    if (!lines || !lines.dataset.drawnAt) return;
    window.__painted.push([Number(card.dataset.lastStep), performance.timeOrigin + Number(lines.dataset.drawnAt)]);
  }).observe(card, {attributes: true, subtree: true, attributeFilter: ['data-drawn']});
}"""


def run_cell(page, i: int, timeout: float = 120) -> str:
    page.evaluate(RUN_CELL, i)
    page.wait_for_timeout(200)
    page.wait_for_function(IDLE, timeout=timeout * 1000)
    return cell_output(page, i).inner_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "live.md")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="nbtb-live-bench-"))
    logdir = root / "logs"
    logdir.mkdir()
    write_notebook(root / "live.ipynb", [c.format(logdir=str(logdir)) for c in CELLS])
    with JupyterLab(root) as lab, open_browser((1400, 1000)) as ctx:
        page = ctx.new_page()
        open_notebook(page, lab, "live.ipynb", timeout=120)
        run_cell(page, 0)
        run_cell(page, 1)
        card = page.locator('[data-testid="card"][data-tag="loss"]')
        card.wait_for(state="attached", timeout=60_000)
        card.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('[data-testid=\"card\"][data-tag=\"loss\"]')"
                               ".dataset.lastStep === '0'", timeout=60_000)
        overhead = json.loads(run_cell(page, 2).strip().splitlines()[-1])
        page.wait_for_function("() => document.querySelector('[data-testid=\"card\"][data-tag=\"loss\"]')"
                               ".dataset.lastStep === '10000'", timeout=60_000)
        page.evaluate(OBSERVE)
        sent = {int(k): v for k, v in json.loads(run_cell(page, 3).strip().splitlines()[-1]).items()}
        page.wait_for_timeout(1000)
        painted = page.evaluate("() => window.__painted")
    latencies = []
    for step, t_sent in sorted(sent.items()):
        first = next((t for s, t in painted if s >= step), None)
        if first is not None:
            latencies.append(first - t_sent * 1000)
    lat = sorted(latencies)
    p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
    lines = [
        "# Live updates (bench/live.py)", "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, JupyterLab + Debian Chromium, 2 cores", "",
        "| measure | value |", "|---|---|",
        f"| `cb.log` → point painted: p50 / p95 / max ({len(lat)} of {len(sent)} points seen) | "
        f"{statistics.median(lat):.0f} / {p95:.0f} / {max(lat):.0f} ms |",
        f"| `cb.log(step, loss=…)` in the training thread, dashboard displayed (mean of 10,000) | "
        f"{overhead['per_call_us']:.1f} µs |",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
