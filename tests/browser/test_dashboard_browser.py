"""The dashboard in a real JupyterLab + Chromium: what a user sees and touches.

Every test inspects the notebook the session fixture ran (conftest.py): cell 1 is
``%tensorboard --logdir <logs>``, cell 2 is ``nbtb.show(run='beta')``.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import (
    LONG_STEPS, LONG_TAG, MAGIC_CELL, RELOAD_CELL, RUNS, SCREENSHOTS, SHOW_CELL, STEPS, TAGS,
    _writer, dashboard, hover_plot, value_of,
)

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def card(root, tag: str):
    return root.locator(f'[data-testid="card"][data-tag="{tag}"]')


def run_checked(root) -> dict[str, bool]:
    rows = root.locator('[data-testid="run-row"]')
    return {rows.nth(i).get_attribute("data-run"): rows.nth(i).locator('input[type="checkbox"]').is_checked()
            for i in range(rows.count())}


def swatch_colors(root) -> dict[str, tuple[int, ...]]:
    """Each run's colour as the runs panel shows it, as (r, g, b)."""
    got = root.evaluate("""(root) => Object.fromEntries(Array.from(root.querySelectorAll('[data-testid="run-row"]'),
        (row) => [row.dataset.run, getComputedStyle(row.querySelector('.nbtb-swatch')).backgroundColor]))""")
    return {run: tuple(int(v) for v in rgb[rgb.index("(") + 1:-1].split(",")[:3]) for run, rgb in got.items()}


def test_magic_shows_a_card_per_tag_and_a_row_per_run(page):
    root = dashboard(page, MAGIC_CELL)
    shot(page, "magic")
    cards = root.locator('[data-testid="card"]')
    assert {cards.nth(i).get_attribute("data-tag") for i in range(cards.count())} == {*TAGS, LONG_TAG}
    groups = root.locator('[data-testid="section"]')
    assert {groups.nth(i).get_attribute("data-group") for i in range(groups.count())} == {
        "loss", "accuracy", "noise"}
    assert run_checked(root) == {run: True for run in RUNS}
    assert root.locator('[data-testid="tab-scalars"]').count() == 1
    colours = swatch_colors(root)
    assert len(set(colours.values())) == len(colours)  # every run in its own colour


def test_lines_are_drawn_off_the_main_thread(page):
    """A chart's first picture is drawn on the main thread; once the page is idle its lines
    canvas goes to the lines worker (JupyterLab allows blob: workers), whose drawing lands: the
    canvas shows the runs' colours over the blank plot."""
    root = dashboard(page, MAGIC_CELL)
    c = card(root, "loss/train")
    c.scroll_into_view_if_needed()
    page.wait_for_function(
        "(card) => card.querySelector('[data-testid=\"chart-lines\"]').dataset.where === 'worker'",
        arg=c.element_handle())
    lines = c.locator('[data-testid="chart-lines"]')
    assert lines.count() == 1  # the main thread's canvas is gone
    assert int(lines.get_attribute("data-drawn")) >= 1
    page.mouse.move(0, 0)  # no cursor or tooltip over the picture
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(lines.screenshot())).convert("RGB")).reshape(-1, 3).astype(int)
    swatches = swatch_colors(root)
    for run in RUNS:
        assert (np.abs(pixels - np.array(swatches[run])).max(axis=1) <= 12).sum() >= 20, run


def test_show_preselects_the_requested_run(page):
    root = dashboard(page, SHOW_CELL)
    root.scroll_into_view_if_needed()
    shot(page, "show_preselected")
    assert run_checked(root) == {"alpha": False, "beta": True, "gamma": False}


def test_tooltip_values_are_the_loaders_exact_float64(page, frame):
    root = dashboard(page, MAGIC_CELL)
    tag = "loss/train"
    checked = 0
    for fx in (0.2, 0.5, 0.85):
        rows = hover_plot(page, root, card(root, tag), fx)
        assert {r["run"] for r in rows} == set(RUNS)
        for r in rows:
            expected = frame[(frame.run == r["run"]) & (frame.tag == tag)
                             & (frame.step == int(float(r["step"])))]["value"]
            assert len(expected) == 1, r
            # String(value) in JS is the shortest round-trip form: parsing it gives the same double
            assert float(r["raw"]) == float(expected.iloc[0]), r
            assert r["smoothed"] not in (None, "")
            checked += 1
    shot(page, "tooltip")
    assert checked >= 9


def test_reduced_long_series_still_shows_exact_values(page, frame):
    root = dashboard(page, MAGIC_CELL)
    seen = set()
    for fx in (0.1, 0.33, 0.62, 0.9):
        rows = hover_plot(page, root, card(root, LONG_TAG), fx)
        assert [r["run"] for r in rows] == ["alpha"]
        r = rows[0]
        step = int(float(r["step"]))
        expected = frame[(frame.run == "alpha") & (frame.tag == LONG_TAG) & (frame.step == step)]
        assert float(r["raw"]) == float(expected["value"].iloc[0]), r
        seen.add(step)
    shot(page, "long_series")
    assert len(seen) > 1 and max(seen) > LONG_STEPS // 2


def test_csv_button_downloads_the_exact_frame(page, frame):
    import pandas as pd

    root = dashboard(page, MAGIC_CELL)
    button = card(root, "loss/validation").locator('[data-testid="card-csv"]')
    button.scroll_into_view_if_needed()
    with page.expect_download() as download:
        button.click()
    path = download.value.path()
    got = pd.read_csv(io.BytesIO(open(path, "rb").read()))
    assert download.value.suggested_filename == "loss_validation.csv"
    assert list(got.columns) == ["run", "tag", "step", "wall_time", "value"]
    want = frame[frame.tag == "loss/validation"]
    assert len(got) == len(want) and set(got.run) == set(RUNS)
    merged = got.merge(want.astype({"run": str, "tag": str}), on=["run", "tag", "step"])
    assert (merged.value_x == merged.value_y).all() and (merged.wall_time_x == merged.wall_time_y).all()


def test_smoothing_slider_changes_what_is_drawn(page):
    root = dashboard(page, MAGIC_CELL)
    c = card(root, "loss/train")
    before_rows = hover_plot(page, root, c, 0.6)
    page.mouse.move(0, 0)  # no crosshair in the pixel comparison
    before = c.locator("canvas").first.screenshot()

    slider = root.locator('[data-testid="smoothing"]')
    slider.scroll_into_view_if_needed()
    start = slider.input_value()
    slider.fill("0.95")  # dispatches input/change like a drag would
    assert slider.input_value() != start

    after_rows = hover_plot(page, root, c, 0.6)
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)  # one animation frame is enough; this is generous
    after = c.locator("canvas").first.screenshot()
    shot(page, "smoothing_095")

    assert before != after, "the smoothed curves are redrawn"
    raw = {r["run"]: r["raw"] for r in before_rows}
    assert {r["run"]: r["raw"] for r in after_rows} == raw, "raw values do not depend on smoothing"
    assert {r["run"]: r["smoothed"] for r in after_rows} != {r["run"]: r["smoothed"] for r in before_rows}


def test_reduced_series_use_the_kernels_smoothing_of_the_full_series(page, frame):
    """Runs after the slider moved to 0.95: the long series was re-requested at that weight."""
    from nbtb.widgets.smoothing import smooth

    root = dashboard(page, MAGIC_CELL)
    assert root.locator('[data-testid="smoothing"]').input_value() == "0.95"
    series = frame[(frame.run == "alpha") & (frame.tag == LONG_TAG)]
    expected = dict(zip(series.step.tolist(), smooth(series.value.to_numpy(), 0.95).tolist()))
    for fx in (0.3, 0.7):
        for _ in range(40):  # the re-request at the new weight may still be in flight
            [r] = hover_plot(page, root, card(root, LONG_TAG), fx)
            want = expected[int(float(r["step"]))]
            if float(r["smoothed"]) == pytest.approx(want, rel=1e-12):
                break
            page.wait_for_timeout(250)
        assert float(r["smoothed"]) == pytest.approx(want, rel=1e-12), r
        assert np.isfinite(want)


def test_dark_theme_applies(page):
    from lab import execute_command

    execute_command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        root = dashboard(page, MAGIC_CELL)
        themed = root.locator("xpath=ancestor-or-self::*[@data-theme][1]")
        page.wait_for_function("(el) => el.getAttribute('data-theme') === 'dark'", arg=themed.element_handle())
        # the first non-transparent background from the root up is what the user sees
        rgb = themed.evaluate("""el => {
          for (let e = el; e; e = e.parentElement) {
            const m = getComputedStyle(e).backgroundColor.match(/[\\d.]+/g);
            if (m && (m.length < 4 || +m[3] > 0)) return m.slice(0, 3).map(Number);
          }
          return null; }""")
        page.locator("#jupyterlab-splash").wait_for(state="detached")
        root.scroll_into_view_if_needed()
        shot(page, "dark_theme")
        assert rgb is not None
        luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255
        assert luminance < 0.35, rgb
    finally:
        execute_command(page, "apputils:change-theme", {"theme": "JupyterLab Light"})


def test_auto_reload_brings_new_runs_and_points(page, logdir):
    """Runs last: it writes to the shared logdir. Cell 3 reloads every 0.5 s."""
    import nbtb

    root = dashboard(page, RELOAD_CELL)
    root.scroll_into_view_if_needed()
    assert root.locator('[data-testid="run-row"][data-run="delta"]').count() == 0
    hover_plot(page, root, card(root, "loss/train"), 0.5)  # the browser has asked for this tag

    with _writer(logdir / "delta") as w:  # a new run appears...
        for step in range(STEPS):
            w.add_scalar("loss/train", value_of("beta", "loss/train", step) / 2, step)
    with _writer(logdir / "alpha") as w:  # ...and an existing one grows (new event file)
        for step in range(STEPS, STEPS + 40):
            w.add_scalar("loss/train", value_of("alpha", "loss/train", step), step)

    root.locator('[data-testid="run-row"][data-run="delta"]').wait_for(state="attached", timeout=30_000)
    frame = nbtb.load(str(logdir)).scalars
    c = card(root, "loss/train")
    at_last: list[dict] = []
    for _ in range(60):  # poll the right edge until the appended steps (60..99) are drawn
        rows = hover_plot(page, root, c, 0.995)
        at_last = [r for r in rows if r["run"] == "alpha" and int(float(r["step"])) >= STEPS + 30]
        if at_last:
            break
        page.mouse.move(0, 0)
        page.wait_for_timeout(250)
    shot(page, "auto_reload")
    assert at_last, f"alpha's appended steps are drawn; tooltip at the right edge: {rows}"
    step = int(float(at_last[0]["step"]))
    expected = frame[(frame.run == "alpha") & (frame.tag == "loss/train") & (frame.step == step)]
    assert float(at_last[0]["raw"]) == float(expected["value"].iloc[0])
    rows = {r["run"]: r for r in hover_plot(page, root, c, 0.3)}
    assert "delta" in rows, "the new run is selected and drawn"
