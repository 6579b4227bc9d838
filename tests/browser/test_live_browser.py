"""Live updates in a real JupyterLab + Chromium: cell A shows the dashboard, cell B trains with
nbtb.Callback for ~4 s, and the points appear in the page while cell B is still running.

The dashboard's reload interval is 30 s, so anything arriving sooner came from the callback's
flushes waking it (nbtb.live), not from polling.
"""

from __future__ import annotations

import time

import pytest

from conftest import SCREENSHOTS
from lab import JupyterLab, cell_output, open_notebook, write_notebook

pytestmark = pytest.mark.browser
STEPS = 80

CELLS = [
    "%load_ext nbtb",
    "import nbtb, time\n"
    "cb = nbtb.Callback({logdir!r} + '/live')\n"
    "cb.log(0, loss=1.0)\ncb.flush()\n"
    "nbtb.show({logdir!r}, reload_interval=30)",
    f"for step in range(1, {STEPS + 1}):\n"
    "    cb.log(step, loss=1.0 / (step + 1))\n"
    "    time.sleep(0.05)\n"
    "cb.flush()",
    # the Histograms tab, then a cell that appends steps to it
    "import numpy as np\n"
    "hw = nbtb.SummaryWriter({logdir!r} + '/hist')\n"
    "hw.add_histogram('weights', np.random.default_rng(0).normal(size=200), 0)\nhw.flush()\n"
    "nbtb.show({logdir!r}, tab='histograms', reload_interval=30)",
    "for s in range(1, 6):\n"
    "    hw.add_histogram('weights', np.random.default_rng(s).normal(s, 1, size=200), s)\n"
    "hw.flush()",
]

RUN_CELL = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = i;
  window.jupyterapp.commands.execute('notebook:run-cell');  // not awaited: returns at once
  return true;
}"""
BUSY = "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status !== 'idle'"
IDLE = "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'"


@pytest.fixture(scope="module")
def live_page(tmp_path_factory, page):
    """A page of its own in the suite's browser (one Playwright per process), on its own JupyterLab."""
    root = tmp_path_factory.mktemp("live")
    logdir = root / "logs"
    logdir.mkdir()
    write_notebook(root / "live.ipynb", [c.format(logdir=str(logdir)) for c in CELLS])
    with JupyterLab(root, log=SCREENSHOTS.parent / "jupyterlab-live-test.log") as lab:
        page = page.context.new_page()
        page.set_default_timeout(60_000)
        open_notebook(page, lab, "live.ipynb")
        page.evaluate(RUN_CELL, 0)
        page.wait_for_function(IDLE, timeout=60_000)
        page.evaluate(RUN_CELL, 1)
        cell_output(page, 1).locator("[data-theme]").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_function(IDLE, timeout=60_000)
        yield page, logdir
        page.close()


def _right_edge_step(page, root) -> int | None:
    over = root.locator('[data-testid="card"][data-tag="loss"] .u-over')
    box = over.bounding_box()
    if not box:
        return None
    page.mouse.move(box["x"] + box["width"] * 0.999, box["y"] + box["height"] / 2)
    rows = root.locator('[data-testid="tooltip"]:visible [data-run="live"]')
    try:
        rows.first.wait_for(state="attached", timeout=300)
    except Exception:
        return None
    step = rows.first.get_attribute("data-step")
    page.mouse.move(0, 0)
    return int(float(step)) if step else None


def test_points_arrive_while_the_training_cell_runs(live_page):
    import nbtb

    page, logdir = live_page
    out = cell_output(page, 1)
    root = out.locator('[data-ready="1"]').first
    root.wait_for(state="attached")
    root.scroll_into_view_if_needed()
    assert _right_edge_step(page, root) == 0  # the browser asked for the tag; one point so far

    page.evaluate(RUN_CELL, 2)
    page.wait_for_function(BUSY, timeout=10_000)
    seen_while_busy: list[int] = []
    start = time.monotonic()
    while page.evaluate(BUSY) and time.monotonic() - start < 60:
        step = _right_edge_step(page, root)
        if step is not None and page.evaluate(BUSY):
            seen_while_busy.append(step)
    page.wait_for_function(IDLE, timeout=60_000)
    page.screenshot(path=str(SCREENSHOTS / "live_updates.png"))
    # A mid-training step drawn while the cell ran: progressive updates, not one at the end.
    # (The kernel reports busy a little after the loop's last point, so the last step may show too.)
    assert any(10 <= s <= STEPS - 20 for s in seen_while_busy), (
        f"points drawn while cell B was running: {seen_while_busy}")

    final = None
    for _ in range(40):  # the last flush arrives within the coalescing gap
        final = _right_edge_step(page, root)
        if final == STEPS:
            break
        page.wait_for_timeout(100)
    assert final == STEPS
    frame = nbtb.load(str(logdir)).scalars
    assert frame["step"].tolist() == list(range(STEPS + 1)), "every point in the file exactly once"


def test_histogram_cards_take_new_steps_while_displayed(live_page):
    """A histogram card on screen gets the steps written after it was drawn (the writer's flush
    wakes the dashboard; the card asks again with what it has, and now gets six ridges)."""
    page, _ = live_page
    page.evaluate(RUN_CELL, 3)
    page.wait_for_function(IDLE, timeout=60_000)
    card = cell_output(page, 3).locator('[data-testid="hist-card"][data-tag="weights"]').first
    card.wait_for(state="attached", timeout=30_000)
    card.scroll_into_view_if_needed()
    page.wait_for_function("(el) => el.dataset.ridges === '1'", arg=card.element_handle(), timeout=30_000)
    page.evaluate(RUN_CELL, 4)
    page.wait_for_function(IDLE, timeout=60_000)
    # reload_interval is 30 s: six ridges within 10 s came from the flush waking the dashboard
    page.wait_for_function("(el) => el.dataset.ridges === '6'", arg=card.element_handle(), timeout=10_000)
    card.screenshot(path=str(SCREENSHOTS / "live_histograms.png"))
