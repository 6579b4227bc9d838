"""The dashboard in Notebook 7 (the `notebook` package's single-document front end on the same
server), not only in JupyterLab: `%tensorboard` renders its cards with the loader's numbers, and
a one-tab panel (nbtb.HistogramView) draws its ridges."""

from __future__ import annotations

import pytest

from conftest import RUNS, SCREENSHOTS, TAGS, notebook_tab
from lab import JupyterLab, cell_output, write_notebook

pytestmark = pytest.mark.browser

CELLS = [
    "%load_ext nbtb",
    "%tensorboard --logdir {logdir} --reload_interval 0",
    "import numpy as np, nbtb\n"
    "with nbtb.SummaryWriter({hist!r}) as w:\n"
    "    for s in range(4):\n"
    "        w.add_histogram('weights', np.random.default_rng(s).normal(s, 1, 500), s)\n"
    "nbtb.HistogramView({hist!r})",
]


@pytest.fixture(scope="module")
def nb7_page(tmp_path_factory, logdir, page):
    """Notebook 7 on its own server; a page of the suite's browser (one Playwright per process)."""
    import notebook  # noqa: F401  (a test extra: missing, this fails rather than skips)

    root = tmp_path_factory.mktemp("nb7")
    write_notebook(root / "nb7.ipynb", [c.format(logdir=logdir, hist=str(root / "hist" / "run"))
                                        for c in CELLS])
    with JupyterLab(root, log=SCREENSHOTS.parent / "notebook7-test.log", app="notebook") as server, \
            notebook_tab(page, "nb7.ipynb", server) as pg:
        yield pg


def test_tensorboard_magic_renders_in_notebook_7(nb7_page, logdir):
    import nbtb

    frame = nbtb.load(str(logdir)).scalars  # now: other tests of the suite add runs to this logdir
    out = cell_output(nb7_page, 1)
    out.scroll_into_view_if_needed()
    root = out.locator('[data-ready="1"]').first
    root.wait_for(state="attached")
    cards = root.locator('[data-testid="card"]')
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.tag)")) == sorted(
        set(frame["tag"].astype(str)))
    labels = root.locator('[data-testid="run-row"]').evaluate_all("els => els.map(e => e.dataset.run)")
    assert sorted(labels) == sorted(set(frame["run"].astype(str))) and set(RUNS) <= set(labels)
    card = root.locator(f'[data-testid="card"][data-tag="{TAGS[0]}"]')
    card.wait_for(state="attached")
    nb7_page.wait_for_function("(el) => Number(el.dataset.points) > 0", arg=card.element_handle())
    points = int(card.get_attribute("data-points"))
    want = int((frame["tag"].astype(str) == TAGS[0]).sum())
    assert points == want
    nb7_page.screenshot(path=str(SCREENSHOTS / "notebook7_dashboard.png"))


def test_a_panel_renders_in_notebook_7(nb7_page):
    out = cell_output(nb7_page, 2)
    out.scroll_into_view_if_needed()
    card = out.locator('[data-testid="hist-card"][data-tag="weights"]').first
    card.wait_for(state="attached")
    nb7_page.wait_for_function("(el) => el.dataset.ridges === '4'", arg=card.element_handle())
    card.screenshot(path=str(SCREENSHOTS / "notebook7_histograms.png"))
