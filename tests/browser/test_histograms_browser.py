"""Histograms and Distributions tabs in a real JupyterLab + Chromium: every card and every ridge
the loader's ``histograms`` frame holds is drawn, modes switch globally and per card, hover
names step / bin / count, and dark mode repaints. Screenshots go to artifacts/screenshots/.

Its own logdir and notebook, opened in a second tab of the suite's JupyterLab and Chromium.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SCREENSHOTS, notebook_tab

from lab import cell_output, execute_command, write_notebook

RUNS = ("alpha", "beta")
TAGS = ("dense/kernel", "dense/bias")
STEPS = 12
CELLS = [
    "import nbtb\nnbtb.show({logdir!r}, tab='histograms', reload_interval=0)",
    "nbtb.show({logdir!r}, tab='distributions', reload_interval=0)",
    "nbtb.HistogramView({logdir!r}, selected_runs=['tf2'], histogram_mode='overlay')",
]


@pytest.fixture(scope="module")
def hist_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nbtb import SummaryWriter

    root = tmp_path_factory.mktemp("hist") / "logs"
    rng = np.random.default_rng(0)
    for k, run in enumerate(RUNS):
        with SummaryWriter(str(root / run)) as w:  # legacy HistogramProto
            for step in range(STEPS):
                w.add_histogram("dense/kernel", rng.normal(step * 0.2 * (k + 1), 1 + step / 10, 2000), step * 10)
                bimodal = np.concatenate([rng.normal(-2, 0.3, 500), rng.normal(2 - step / 6, 0.3, 500)])
                w.add_histogram("dense/bias", bimodal, step * 10)
    # TF2 tensor histograms ([k, 3] float64), written by tf.summary: they must look the same
    shutil.copytree(REPO / "tests" / "data" / "tf2_summaries" / "custom", root / "tf2")
    return root


@pytest.fixture(scope="module")
def hist_frame(hist_logdir: Path):
    import nbtb

    return nbtb.load(str(hist_logdir)).histograms


@pytest.fixture(scope="module")
def hpage(page, logdir: Path, hist_logdir: Path):
    """A second tab of the suite's Chromium, on the suite's JupyterLab (one Playwright per process),
    running this module's notebook."""
    root = logdir.parent  # the JupyterLab root of the session fixture
    write_notebook(root / "hist.ipynb", [c.format(logdir=str(hist_logdir)) for c in CELLS])
    with notebook_tab(page, "hist.ipynb") as pg:
        yield pg


def _ready(page, cell: int):
    out = cell_output(page, cell)
    out.locator("[data-theme]").first.wait_for(state="attached")
    out.scroll_into_view_if_needed()
    out.locator('[data-ready="1"]').first.wait_for(state="attached")
    return out


def _groups(frame) -> dict[tuple[str, str], int]:
    sizes = frame.groupby(["tag", "run"], observed=True).size()
    return {(str(t), str(r)): int(n) for (t, r), n in sizes.items()}


def _drawn(card) -> int:
    """Scrolls a (lazy) card into view and returns its ridge count once it has drawn."""
    card.scroll_into_view_if_needed()
    card.page.wait_for_function("(el) => el.dataset.ridges !== '0'", arg=card.element_handle(), timeout=20_000)
    return int(card.get_attribute("data-ridges"))


def test_histograms_tab_draws_every_card_and_ridge(hpage, hist_frame):
    out = _ready(hpage, 0)
    assert out.locator('[data-testid="tab-histograms"]').get_attribute("aria-selected") == "true"
    cards = out.locator('[data-testid="hist-card"]')
    want = _groups(hist_frame)
    assert cards.count() == len(want)
    seen = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        key = (card.get_attribute("data-tag"), card.get_attribute("data-run"))
        seen[key] = _drawn(card)
        assert card.get_attribute("data-mode") == "offset"
    assert seen == {k: min(n, 500) for k, n in want.items()}
    out.locator('[data-testid="hist-card"][data-run="alpha"]').first.scroll_into_view_if_needed()
    hpage.wait_for_timeout(300)
    out.screenshot(path=str(SCREENSHOTS / "histograms-offset.png"))


def test_histogram_hover_names_step_bin_and_count(hpage):
    out = _ready(hpage, 0)
    card = out.locator('[data-testid="hist-card"][data-tag="dense/kernel"][data-run="alpha"]')
    _drawn(card)
    canvas = card.locator("canvas")
    box = canvas.bounding_box()
    hpage.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] - 30)
    tip = card.locator('[data-testid="hist-tooltip"]')
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "step " in text and "bin [" in text and "count " in text
    hpage.mouse.move(0, 0)


def test_histogram_mode_switches_globally_and_per_card(hpage):
    out = _ready(hpage, 0)
    cards = out.locator('[data-testid="hist-card"]')
    out.locator('[data-testid="histogram-mode"]').select_option("overlay")
    hpage.wait_for_function(
        "(root) => [...root.querySelectorAll('[data-testid=\"hist-card\"]')].every(c => c.dataset.mode === 'overlay')",
        arg=out.element_handle())
    first = cards.first
    first.scroll_into_view_if_needed()
    hpage.wait_for_timeout(300)
    out.screenshot(path=str(SCREENSHOTS / "histograms-overlay.png"))
    first.locator('[data-testid="hist-mode"]').click()  # this card only
    assert first.get_attribute("data-mode") == "offset"
    assert cards.nth(1).get_attribute("data-mode") == "overlay"
    out.locator('[data-testid="histogram-mode"]').select_option("offset")
    hpage.wait_for_function(
        "(root) => [...root.querySelectorAll('[data-testid=\"hist-card\"]')].every(c => c.dataset.mode === 'offset')",
        arg=out.element_handle())


def test_distributions_tab_draws_every_card(hpage, hist_frame):
    out = _ready(hpage, 1)
    assert out.locator('[data-testid="tab-distributions"]').get_attribute("aria-selected") == "true"
    cards = out.locator('[data-testid="dist-card"]')
    want = _groups(hist_frame)
    assert cards.count() == len(want)
    seen = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        seen[(card.get_attribute("data-tag"), card.get_attribute("data-run"))] = _drawn(card)
        assert card.get_attribute("data-bands") == "8"
    assert seen == want
    card = out.locator('[data-testid="dist-card"][data-tag="dense/kernel"][data-run="beta"]')
    card.scroll_into_view_if_needed()
    box = card.locator("canvas").bounding_box()
    hpage.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    assert "median" in card.locator('[data-testid="hist-tooltip"]').inner_text()
    hpage.mouse.move(0, 0)
    hpage.wait_for_timeout(200)
    out.screenshot(path=str(SCREENSHOTS / "distributions.png"))


def test_histograms_dark_theme(hpage):
    execute_command(hpage, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    try:
        out = _ready(hpage, 0)
        hpage.wait_for_function(
            "(root) => root.querySelector('[data-theme]').dataset.theme === 'dark'", arg=out.element_handle(),
            timeout=20_000)
        hpage.wait_for_timeout(800)  # the delayed repaint after the theme's stylesheet loads
        out.locator('[data-testid="hist-card"]').first.scroll_into_view_if_needed()
        out.screenshot(path=str(SCREENSHOTS / "histograms-dark.png"))
        _ready(hpage, 1).screenshot(path=str(SCREENSHOTS / "distributions-dark.png"))
    finally:
        execute_command(hpage, "apputils:change-theme", {"theme": "JupyterLab Light"})


def test_histogram_view_is_the_tab_alone(hpage, hist_frame):
    out = _ready(hpage, 2)
    root = out.locator('[data-testid="dashboard"]')
    assert "nbtb-panel-only" in (root.get_attribute("class") or "")
    assert not out.locator('[data-testid="run-filter"]').is_visible()
    cards = out.locator('[data-testid="hist-card"]')
    want = {k: n for k, n in _groups(hist_frame).items() if k[1] == "tf2"}
    assert cards.count() == len(want)
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.get_attribute("data-mode") == "overlay"
        assert _drawn(card) == want[(card.get_attribute("data-tag"), card.get_attribute("data-run"))]
    out.screenshot(path=str(SCREENSHOTS / "histogram-view.png"))
