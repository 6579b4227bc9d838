"""The Profile tab in a real JupyterLab + Chromium, on the committed torch.profiler trace
(tests/data/torch_profiler, copied to a temporary logdir): the timeline draws its lanes, the
wheel zooms at the cursor, a drag pans, W/A/S/D zoom and pan, Shift+drag selects a range whose
op table equals the loader's events in that range, hover names the event and fetches its args,
and the full dashboard shows a Profile tab. Screenshots go to artifacts/screenshots/.

Its own logdir and notebook, opened in a second tab of the suite's JupyterLab and Chromium (one
Playwright per process).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, SCREENSHOTS, notebook_tab

from lab import cell_output, write_notebook

CELLS = [
    "import nbtb\nnbtb.ProfileView({logdir!r})",
    "nbtb.show({logdir!r}, tab='profile', reload_interval=0)",
    "nbtb.ProfileView({gpu!r})",  # synthetic Kineto GPU trace: a CUDA stream lane
    "nbtb.ProfileView({xplane!r}, run='lr_0.1/train')",  # a Keras (TF) XPlane profile
    "nbtb.ProfileView({damaged!r})",  # a truncated trace: listed, then a clear error
]
GUTTER = 170  # js/profile/timeline.ts: the lane label column left of the plot


@pytest.fixture(scope="module")
def prof_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nbtb import SummaryWriter

    root = tmp_path_factory.mktemp("prof") / "logs"
    shutil.copytree(REPO / "tests" / "data" / "torch_profiler", root)
    with SummaryWriter(str(root / "run1")) as w:  # scalars beside the trace: two tabs
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
    return root


@pytest.fixture(scope="module")
def other_logdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("prof_other")
    shutil.copytree(REPO / "tests" / "data" / "profiles" / "gpu_kineto", root / "gpu")
    shutil.copytree(REPO / "tests" / "data" / "keras_sweep", root / "xplane")
    src = next((REPO / "tests" / "data" / "torch_profiler" / "run1").glob("*.pt.trace.json.gz"))
    (root / "damaged" / "run1").mkdir(parents=True)
    data = src.read_bytes()
    (root / "damaged" / "run1" / src.name).write_bytes(data[: len(data) // 2])  # cut mid-stream
    return {"gpu": root / "gpu", "xplane": root / "xplane", "damaged": root / "damaged"}


@pytest.fixture(scope="module")
def profile(prof_logdir: Path):
    """The loader's profile: what the tab must show."""
    import nbtb

    lg = nbtb.load(str(prof_logdir))
    row = lg.profiles.iloc[0]
    return lg.profile(str(row["run"]), session=row["session"])


@pytest.fixture(scope="module")
def ppage(page, logdir: Path, prof_logdir: Path, other_logdirs: dict[str, Path]):
    root = logdir.parent  # the suite's JupyterLab root
    names = {"logdir": str(prof_logdir), **{k: str(v) for k, v in other_logdirs.items()}}
    write_notebook(root / "profile.ipynb", [c.format(**names) for c in CELLS])
    with notebook_tab(page, "profile.ipynb") as pg:
        yield pg


def _timeline(pg, cell: int):
    out = cell_output(pg, cell)
    out.scroll_into_view_if_needed()
    tl = out.locator('[data-testid="profile-timeline"]')
    tl.wait_for(state="visible", timeout=30_000)
    pg.wait_for_function("(el) => Number(el.dataset.frames || 0) > 0", arg=tl.element_handle())
    return out, tl


def _view(tl) -> tuple[float, float]:
    return float(tl.get_attribute("data-view-start")), float(tl.get_attribute("data-view-end"))


def _frames(tl) -> int:
    return int(tl.get_attribute("data-frames"))


def _after_frame(pg, tl, before: int) -> None:
    pg.wait_for_function("([el, n]) => Number(el.dataset.frames) > n", arg=[tl.element_handle(), before])


def test_timeline_draws_every_lane_and_the_steps(ppage, profile):
    out, tl = _timeline(ppage, 0)
    status = out.locator('[data-testid="profile-status"]').inner_text()
    assert f"{len(profile.events):,} events" in status
    lanes = profile.events.groupby(["pid", "tid"]).ngroups
    assert f"{lanes} lanes" in status and f"{len(profile.steps)} steps" in status
    assert int(tl.get_attribute("data-blocks")) > 0
    # the overview panel and the memory chart are there too
    assert out.locator('[data-testid="profile-verdict"]').inner_text().strip() == profile.overview().verdict
    mem = out.locator('[data-testid="profile-memory"]')
    assert int(mem.get_attribute("data-points")) > 0
    assert mem.locator("canvas").count() >= 1
    out.screenshot(path=str(SCREENSHOTS / "profile-view.png"))


def test_wheel_zooms_at_the_cursor(ppage):
    _, tl = _timeline(ppage, 0)
    ppage.locator('[data-testid="profile-reset"]').first.click()
    box = tl.locator("canvas").bounding_box()
    t0, t1 = _view(tl)
    x = box["x"] + GUTTER + (box["width"] - GUTTER) * 0.3
    t_at = t0 + 0.3 * (t1 - t0)
    ppage.mouse.move(x, box["y"] + 60)
    n = _frames(tl)
    ppage.mouse.wheel(0, -400)
    _after_frame(ppage, tl, n)
    a, b = _view(tl)
    assert (b - a) < 0.6 * (t1 - t0)  # zoomed in
    # the memory chart under the lanes follows
    mem = ppage.locator('[data-testid="profile-memory"]').first
    assert tuple(map(float, mem.get_attribute("data-view").split(","))) == pytest.approx((a, b))
    # the time under the cursor stays under the cursor
    assert a + 0.3 * (b - a) == pytest.approx(t_at, rel=0, abs=(t1 - t0) * 0.01)
    ppage.mouse.wheel(0, 400)
    ppage.wait_for_timeout(200)
    c, d = _view(tl)
    assert (d - c) > (b - a)  # and out again


def test_drag_pans_and_wasd_zoom_and_pan(ppage):
    out, tl = _timeline(ppage, 0)
    out.locator('[data-testid="profile-reset"]').click()
    box = tl.locator("canvas").bounding_box()
    ppage.mouse.move(box["x"] + 700, box["y"] + 70)
    ppage.mouse.wheel(0, -500)  # zoom in first so there is room to pan
    ppage.wait_for_timeout(200)
    t0, t1 = _view(tl)
    plot_w = box["width"] - GUTTER
    ppage.mouse.move(box["x"] + 700, box["y"] + 70)
    ppage.mouse.down()
    ppage.mouse.move(box["x"] + 500, box["y"] + 70, steps=5)
    ppage.mouse.up()
    ppage.wait_for_timeout(200)
    a, b = _view(tl)
    assert b - a == pytest.approx(t1 - t0, rel=1e-6)  # panning keeps the zoom
    assert a - t0 == pytest.approx(200 / plot_w * (t1 - t0), rel=0.05)  # dragged left: later times
    ppage.keyboard.press("w")
    ppage.wait_for_timeout(100)
    c, d = _view(tl)
    assert d - c < b - a
    ppage.keyboard.press("d")
    ppage.wait_for_timeout(100)
    e, f = _view(tl)
    assert e > c and f - e == pytest.approx(d - c, rel=1e-6)
    ppage.keyboard.press("s")
    ppage.keyboard.press("a")
    ppage.wait_for_timeout(100)
    g, h = _view(tl)
    assert h - g > f - e and g < e + (f - e) * 0.5
    out.screenshot(path=str(SCREENSHOTS / "profile-zoomed.png"))


def test_shift_drag_selects_a_range_and_tables_its_ops(ppage, profile):
    out, tl = _timeline(ppage, 0)
    out.locator('[data-testid="profile-reset"]').click()
    ppage.wait_for_timeout(200)
    box = tl.locator("canvas").bounding_box()
    left = box["x"] + GUTTER + (box["width"] - GUTTER) * 0.35
    right = box["x"] + GUTTER + (box["width"] - GUTTER) * 0.6
    ppage.keyboard.down("Shift")
    ppage.mouse.move(left, box["y"] + 80)
    ppage.mouse.down()
    ppage.mouse.move(right, box["y"] + 80, steps=6)
    ppage.mouse.up()
    ppage.keyboard.up("Shift")
    table = out.locator('[data-testid="profile-selection"]')
    ppage.wait_for_function("(el) => Number(el.dataset.rows) > 0", arg=table.element_handle())
    a, b = map(float, table.get_attribute("data-range").split(","))
    ev = profile.events
    t0 = ev["ts"].min()
    inside = ev[(ev["ts"] - t0 <= b) & (ev["ts"] - t0 + ev["dur"] >= a)]
    want = Counter(inside["name"].astype(str))
    assert int(table.get_attribute("data-rows")) == len(want)
    rows = table.locator('[data-testid="profile-selection-row"]')
    got = {}
    for i in range(min(rows.count(), 15)):
        cells = rows.nth(i).locator("td").all_inner_texts()
        got[cells[0]] = int(cells[2])
    assert got == {k: want[k] for k in got}
    assert len(got) == min(len(want), 15)
    out.screenshot(path=str(SCREENSHOTS / "profile-selection.png"))


def test_hover_names_the_event_and_fetches_its_args(ppage, profile):
    out, tl = _timeline(ppage, 0)
    out.locator('[data-testid="profile-reset"]').click()
    ppage.wait_for_timeout(200)
    box = tl.locator("canvas").bounding_box()
    tip = out.locator('[data-testid="profile-tooltip"]')
    names = set(profile.events["name"].astype(str))
    # the first row of the first lane holds the ProfilerStep spans: hover along it
    for frac in (0.3, 0.5, 0.7, 0.4, 0.6):
        ppage.mouse.move(box["x"] + GUTTER + (box["width"] - GUTTER) * frac, box["y"] + 36 + 8)
        ppage.wait_for_timeout(150)
        if tip.is_visible():
            break
    assert tip.is_visible()
    lines = tip.locator("div").all_inner_texts()
    assert lines[0] in names
    assert lines[2].startswith("duration ")
    ppage.wait_for_function("(el) => el.dataset.args !== undefined", arg=tip.element_handle(), timeout=10_000)


def test_dashboard_has_a_profile_tab(ppage):
    out, tl = _timeline(ppage, 1)
    assert out.locator('[data-testid="tab-profile"]').get_attribute("aria-selected") == "true"
    assert int(tl.get_attribute("data-blocks")) > 0
    assert not out.locator('[data-testid="tag-filter"]').is_visible()  # no tags in a profile
    out.screenshot(path=str(SCREENSHOTS / "profile-dashboard-tab.png"))
    # the Scalars tab beside it keeps its tag filter; back on Profile the timeline is still there
    out.locator('[data-testid="tab-scalars"]').click()
    out.locator('[data-testid="tag-filter"]').wait_for(state="visible")
    out.locator('[data-testid="tab-profile"]').click()
    tl.wait_for(state="visible")
    assert not out.locator('[data-testid="tag-filter"]').is_visible()


@pytest.mark.parametrize("cell, which, run", [(2, "gpu", None), (3, "xplane", "lr_0.1/train")])
def test_gpu_and_xplane_profiles_draw_every_lane(ppage, other_logdirs, cell, which, run):
    import nbtb

    lg = nbtb.load(str(other_logdirs[which]))
    rows = lg.profiles[lg.profiles["run"] == run] if run else lg.profiles
    prof = lg.profile(str(rows.iloc[0]["run"]), session=rows.iloc[0]["session"])
    out, tl = _timeline(ppage, cell)
    status = out.locator('[data-testid="profile-status"]').inner_text()
    assert f"{len(prof.events):,} events" in status
    assert f"{prof.events.groupby(['pid', 'tid']).ngroups} lanes" in status
    assert int(tl.get_attribute("data-blocks")) > 0
    verdict = out.locator('[data-testid="profile-verdict"]')
    verdict.wait_for(state="attached")
    assert verdict.inner_text().strip() == prof.overview().verdict
    tl.scroll_into_view_if_needed()
    out.screenshot(path=str(SCREENSHOTS / f"profile-{which}.png"))


def test_select_mode_makes_a_plain_drag_select(ppage):
    out, tl = _timeline(ppage, 0)
    out.locator('[data-testid="profile-reset"]').click()
    out.locator('[data-testid="profile-mode-select"]').click()
    assert out.locator('[data-testid="profile-mode-select"]').get_attribute("aria-pressed") == "true"
    view = _view(tl)
    box = tl.locator("canvas").bounding_box()
    ppage.mouse.move(box["x"] + GUTTER + 40, box["y"] + 80)
    ppage.mouse.down()
    ppage.mouse.move(box["x"] + GUTTER + 240, box["y"] + 80, steps=5)
    ppage.mouse.up()
    table = out.locator('[data-testid="profile-selection"]')
    ppage.wait_for_timeout(200)
    a, b = map(float, table.get_attribute("data-range").split(","))
    t0, t1 = view
    plot_w = box["width"] - GUTTER
    assert a == pytest.approx(t0 + 40 / plot_w * (t1 - t0), abs=(t1 - t0) / plot_w * 2)
    assert b == pytest.approx(t0 + 240 / plot_w * (t1 - t0), abs=(t1 - t0) / plot_w * 2)
    assert _view(tl) == view  # selecting does not pan
    out.locator('[data-testid="profile-mode-pan"]').click()


def test_a_damaged_trace_shows_an_error_naming_the_file(ppage):
    out = cell_output(ppage, 4)
    out.scroll_into_view_if_needed()
    note = out.locator('[data-testid="profile-error"]')
    note.wait_for(state="visible", timeout=30_000)
    assert "worker0.1795707306322858227.pt.trace.json.gz" in note.inner_text()
    assert out.locator('[data-testid="profile-timeline"]').count() == 0
