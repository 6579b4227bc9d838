"""The exported HTML report (``nbtb.save_report``) opened from a file:// URL in Chromium, offline.

The browser context is offline and every non-file request is aborted and recorded: the report must
need none. Each tab must render from the embedded data, and the interactions must work with no
kernel: smoothing, unticking a run, drag-zoom (which asks the in-page kernel for the zoomed range
at full detail), the image step slider. Values shown are compared with the loader's frames. The
logdir is written at test time by nbtb's SummaryWriter and tensorboardX, with hostile run, tag and
markdown text that would set ``window.__pwned`` if anything ran it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import SCREENSHOTS, hover_plot

pytestmark = pytest.mark.browser

EVIL_RUN = '<img src=x onerror="window.__pwned=1">'
EVIL_MD = "# Notes\n\n<img src=x onerror=\"window.__pwned=1\">\n\n<script>window.__pwned=1</script>\n\n**ok**"
RUNS = ("alpha", "beta", EVIL_RUN)
STEPS = 200
LONG_TAG, LONG_STEPS = "noise/long", 20_000  # alpha only: reduced at export and again per pixel
IMAGE_STEPS = 8  # more than the default cap of 5: the slider offers the latest 5
HIST_STEPS = list(range(0, 40, 2))
MAX_POINTS = 5_000  # above what a card shows per pixel: zooming asks for the range at full detail


def value_of(k: int, step: int) -> float:
    return math.pi / (step + 1) ** (0.3 * (k + 1)) + 0.05 * math.sin(step * 1.3)


@pytest.fixture(scope="module")
def report_logdir(tmp_path_factory) -> Path:
    import nbtb
    from tensorboardX import SummaryWriter as TbxWriter

    root = tmp_path_factory.mktemp("report-browser") / "experiment"
    rng = np.random.default_rng(5)
    for k, run in enumerate(RUNS):
        writer = TbxWriter if run == EVIL_RUN else nbtb.SummaryWriter
        with writer(str(root / run)) as w:
            for step in range(STEPS):
                w.add_scalar("loss/train", value_of(k, step), step, walltime=1_700_000_000 + step)
            if run == "alpha":
                for step in range(LONG_STEPS):
                    spike = 30.0 if step == 12_345 else 0.0
                    w.add_scalar(LONG_TAG, math.sin(step / 300) + spike, step, walltime=1_700_000_000 + step)
            for step in HIST_STEPS:
                w.add_histogram("weights", rng.normal(k, 1 + step / 20, 500), step, walltime=1_700_000_000 + step)
            for step in range(IMAGE_STEPS):
                img = np.zeros((3, 12, 16), dtype=np.float32)
                img[k % 3, :, : step + 1] = 1.0
                w.add_image("samples", img, step, walltime=1_700_000_000 + step)
            w.add_text("notes", EVIL_MD, 3, walltime=1_700_000_003)
            if writer is nbtb.SummaryWriter:
                w.add_hparams({"lr": 0.01 * (k + 1), "opt": "adam"}, {"hp/metric": 0.1 * (k + 1)}, run_name="hp")
    return root


@pytest.fixture(scope="module")
def report_file(report_logdir) -> Path:
    import nbtb

    target = report_logdir.parent / "report.html"
    nbtb.save_report(str(report_logdir), target, max_points=MAX_POINTS)
    return target


@pytest.fixture(scope="module")
def frame(report_logdir):
    import nbtb

    return nbtb.load(str(report_logdir)).scalars


@pytest.fixture(scope="module")
def rpage(report_file, page):
    """The report in a fresh offline context of the session's Chromium (Playwright's sync API cannot
    be started twice in one process). Non-file requests are aborted and recorded in ``outside``."""
    ctx = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(report_file.as_uri())
    pg.outside, pg.errors = outside, errors
    try:
        yield pg
    finally:
        ctx.close()


def shot(pg, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"report_{name}.png"))


def root_of(pg):
    root = pg.locator('[data-testid="dashboard"][data-ready="1"]')
    root.wait_for(state="attached")
    return root


def open_tab(pg, kind: str):
    root = root_of(pg)
    root.locator(f'[data-testid="tab-{kind}"]').click()
    return root


def card(root, tag: str):
    return root.locator(f'[data-testid="card"][data-tag="{tag}"]')


def painted(c) -> int:
    c.scroll_into_view_if_needed()
    c.page.wait_for_function("(el) => Number(el.dataset.points) > 0", arg=c.element_handle())
    return int(c.get_attribute("data-points"))


def not_pwned(pg) -> None:
    assert pg.evaluate("() => window.__pwned") is None
    assert root_of(pg).locator("[onerror], [onclick], [onload], script").count() == 0


def test_report_opens_offline_and_draws_every_scalar_card(rpage, frame):
    root = root_of(rpage)
    cards = root.locator('[data-testid="card"]')
    tags = {cards.nth(i).get_attribute("data-tag") for i in range(cards.count())}
    assert tags == set(frame.tag.astype(str).unique()) == {"loss/train", LONG_TAG, "hp/metric"}
    assert painted(card(root, "loss/train")) == 3 * STEPS  # three runs, every point
    assert root.locator('[data-testid="logdir"]').inner_text() == "experiment"
    rows = root.locator('[data-testid="run-row"]')
    assert {rows.nth(i).get_attribute("data-run") for i in range(rows.count())} >= set(RUNS)
    shot(rpage, "scalars")
    assert rpage.outside == [] and rpage.errors == [], (rpage.outside, rpage.errors)
    not_pwned(rpage)


def test_tooltip_shows_the_loaders_exact_values(rpage, frame):
    root = root_of(rpage)
    rows = hover_plot(rpage, root, card(root, "loss/train"), 0.4)
    assert {r["run"] for r in rows} == set(RUNS)
    for r in rows:
        want = frame[(frame.run == r["run"]) & (frame.tag == "loss/train") & (frame.step == int(float(r["step"])))]
        assert float(r["raw"]) == float(want.value.iloc[0]), r


def test_smoothing_slider_changes_the_drawn_line(rpage, frame):
    from nbtb.widgets.smoothing import smooth

    root = root_of(rpage)
    c = card(root, "loss/train")
    before_rows = hover_plot(rpage, root, c, 0.3)
    rpage.mouse.move(0, 0)
    before = c.locator("canvas").first.screenshot()
    root.locator('[data-testid="smoothing"]').fill("0.95")
    rpage.wait_for_timeout(300)
    after = c.locator("canvas").first.screenshot()
    after_rows = hover_plot(rpage, root, c, 0.3)
    shot(rpage, "smoothing_095")
    assert before != after, "the smoothed curves are redrawn"
    assert {r["run"]: r["raw"] for r in after_rows} == {r["run"]: r["raw"] for r in before_rows}
    for r in after_rows:  # TensorBoard's smoothing of the series, computed in the page
        series = frame[(frame.run == r["run"]) & (frame.tag == "loss/train")].sort_values("step")
        want = smooth(series.value.to_numpy(), 0.95)[int(float(r["step"]))]
        assert float(r["smoothed"]) == pytest.approx(want, rel=1e-12), r


def test_unticking_a_run_removes_its_line(rpage):
    root = root_of(rpage)
    c = card(root, "loss/train")
    box = root.locator('[data-testid="run-row"][data-run="beta"] input')
    box.uncheck()
    rpage.wait_for_function("(el) => el.dataset.points === String(2 * 200)", arg=c.element_handle())
    assert {r["run"] for r in hover_plot(rpage, root, c, 0.5)} == {"alpha", EVIL_RUN}
    shot(rpage, "beta_unticked")
    box.check()
    rpage.wait_for_function("(el) => el.dataset.points === String(3 * 200)", arg=c.element_handle())


def test_drag_zoom_shows_the_range_at_full_detail(rpage, frame):
    root = root_of(rpage)
    c = card(root, LONG_TAG)
    whole = painted(c)
    assert whole < MAX_POINTS  # reduced per pixel column for the card
    over = c.locator(".u-over")
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    y = box["y"] + box["height"] / 2
    rpage.mouse.move(box["x"] + box["width"] * 0.60, y)
    rpage.mouse.down()
    rpage.mouse.move(box["x"] + box["width"] * 0.65, y, steps=5)
    rpage.mouse.up()
    # the in-page kernel answers the zoomed range's request: fewer, denser points than the whole
    rpage.wait_for_function(f"(el) => Number(el.dataset.points) !== {whole}", arg=c.element_handle())
    rows = hover_plot(rpage, root, c, 0.5)
    step = int(float(rows[0]["step"]))
    assert LONG_STEPS * 0.55 < step < LONG_STEPS * 0.70, step
    want = frame[(frame.run == "alpha") & (frame.tag == LONG_TAG) & (frame.step == step)].value
    assert float(rows[0]["raw"]) == float(want.iloc[0])
    # the series was reduced at export (20,000 -> 5,000 points): its smoothing still follows the
    # whole series' (js/reportdata.ts smoothReduced): on this sine of amplitude 1, within 0.005
    from nbtb.widgets.smoothing import smooth

    weight = float(root.locator('[data-testid="smoothing"]').input_value())
    full = frame[(frame.run == "alpha") & (frame.tag == LONG_TAG)].sort_values("step")
    assert float(rows[0]["smoothed"]) == pytest.approx(smooth(full.value.to_numpy(), weight)[step], abs=5e-3)
    shot(rpage, "zoomed")
    c.locator('[data-testid="card-fit"]').click()
    rpage.wait_for_function(f"(el) => Number(el.dataset.points) === {whole}", arg=c.element_handle())


def test_histograms_and_distributions_tabs_draw_every_embedded_step(rpage):
    for kind, testid in (("histograms", "hist-card"), ("distributions", "dist-card")):
        root = open_tab(rpage, kind)
        cards = root.locator(f'[data-testid="{testid}"]')
        cards.first.wait_for()
        assert cards.count() == len(RUNS)
        for i in range(cards.count()):
            cards.nth(i).scroll_into_view_if_needed()
            rpage.wait_for_function(f"(el) => el.dataset.ridges === '{len(HIST_STEPS)}'",
                                    arg=cards.nth(i).element_handle())
        shot(rpage, kind)


def test_images_tab_step_slider_offers_the_latest_steps(rpage):
    root = open_tab(rpage, "images")
    c = root.locator('[data-testid="image-card"][data-run="alpha"]')
    c.scroll_into_view_if_needed()
    rpage.wait_for_function("(el) => el.dataset.step === '7' && el.dataset.loading === '0'", arg=c.element_handle())
    first = c.locator("img").first
    rpage.wait_for_function("(i) => i.complete && i.naturalWidth === 16", arg=first.element_handle())
    src7 = first.get_attribute("src")
    c.focus()
    rpage.keyboard.press("ArrowLeft")
    rpage.wait_for_function("(el) => el.dataset.step === '6' && el.dataset.loading === '0'", arg=c.element_handle())
    rpage.keyboard.press("Home")  # the oldest step kept: the latest 5 of 8
    rpage.wait_for_function("(el) => el.dataset.step === '3' && el.dataset.loading === '0'", arg=c.element_handle())
    assert c.locator('[data-testid="step-label"]').inner_text() == "step 3"
    assert c.locator("img").first.get_attribute("src") != src7
    assert c.locator("img").first.get_attribute("src").startswith("blob:")
    shot(rpage, "images")
    not_pwned(rpage)


def test_text_tab_is_sanitized_markdown(rpage):
    root = open_tab(rpage, "text")
    md = root.locator('[data-testid="text-card"][data-run="alpha"] [data-testid="markdown"]')
    md.scroll_into_view_if_needed()
    md.wait_for()
    assert md.locator("h1").inner_text() == "Notes" and md.locator("img, script").count() == 0
    evil = root.locator('[data-testid="text-card"]:not([data-run="alpha"]):not([data-run="beta"])')
    assert EVIL_RUN in evil.locator(".nbtb-card-title").inner_text()
    shot(rpage, "text")
    not_pwned(rpage)


def test_hparams_tab_lists_the_sessions_and_selects_runs(rpage):
    root = open_tab(rpage, "hparams")
    table = root.locator('[data-testid="hparams-table"]')
    table.locator("tbody tr").first.wait_for()
    rows = table.locator("tbody tr")
    assert sorted(rows.nth(i).get_attribute("data-run") for i in range(rows.count())) == ["alpha/hp", "beta/hp"]
    lr = {rows.nth(i).get_attribute("data-run"): float(rows.nth(i).locator('td[data-column="lr"]').inner_text())
          for i in range(rows.count())}
    assert lr == {"alpha/hp": 0.01, "beta/hp": 0.02}
    row = table.locator('tbody tr[data-run="beta/hp"]')
    row.locator("input").uncheck()
    panel = root.locator('[data-testid="run-row"][data-run="beta/hp"] input')
    rpage.wait_for_function("(b) => !b.checked", arg=panel.element_handle())
    row.locator("input").check()
    shot(rpage, "hparams")
    assert rpage.outside == [] and rpage.errors == [], (rpage.outside, rpage.errors)


def test_csv_button_downloads_the_embedded_points(rpage, frame):
    import pandas as pd

    root = open_tab(rpage, "scalars")
    button = card(root, "loss/train").locator('[data-testid="card-csv"]')
    button.scroll_into_view_if_needed()
    with rpage.expect_download() as download:
        button.click()
    got = pd.read_csv(download.value.path())
    assert download.value.suggested_filename == "loss_train.csv"
    want = frame[frame.tag == "loss/train"].astype({"run": str, "tag": str})
    assert len(got) == len(want) == 3 * STEPS and set(got.run) == set(RUNS)  # the hostile name, quoted
    merged = got.merge(want, on=["run", "tag", "step"])
    assert len(merged) == len(want)
    assert (merged.value_x == merged.value_y).all() and (merged.wall_time_x == merged.wall_time_y).all()
    assert rpage.outside == [] and rpage.errors == [], (rpage.outside, rpage.errors)


def test_png_button_downloads_the_chart(rpage):
    root = open_tab(rpage, "scalars")
    button = card(root, "loss/train").locator('[data-testid="card-png"]')
    button.scroll_into_view_if_needed()
    with rpage.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "loss_train.png"
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The lines are drawn on their own canvas (by a worker here): the picture carries them, in
    # each run's colour, and not only uPlot's axes.
    rpage.wait_for_function(  # the chart's lines went to the worker once the page was idle
        "(card) => card.querySelector('[data-testid=\"chart-lines\"]').dataset.where === 'worker'",
        arg=card(root, "loss/train").element_handle())
    from PIL import Image

    from nbtb.plot import run_colors

    pixels = np.asarray(Image.open(download.value.path()).convert("RGB")).reshape(-1, 3).astype(int)
    shown = root.evaluate("""(root) => Array.from(root.querySelectorAll('[data-testid="run-row"]'),
        (row) => row.dataset.run)""")  # the hparams sessions (alpha/hp, …) are runs too
    colours = run_colors(shown)
    for run in RUNS:
        rgb = np.array([int(colours[run][i:i + 2], 16) for i in (1, 3, 5)])
        # the smoothed line is opaque; allow for anti-aliasing
        assert (np.abs(pixels - rgb).max(axis=1) <= 12).sum() >= 20, run
