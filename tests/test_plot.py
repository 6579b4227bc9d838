"""``Logdir.plot`` / nbtb.plot: Altair charts of scalars in the dashboard's colours."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nbtb
from nbtb.plot import PALETTE, fnv1a, plot, points, run_color, run_colors, series_points, smooth_fast
from nbtb.widgets.smoothing import smooth

ROOT = Path(__file__).resolve().parent.parent


def test_palette_and_hash_match_the_front_end():
    ts = (ROOT / "js" / "colors.ts").read_text()
    block = ts[ts.index("PALETTE"):ts.index("];")]
    assert tuple(re.findall(r'"(#[0-9a-fA-F]{6})"', block)) == PALETTE
    # the vectors js/colors.test.ts checks (published FNV-1a 32-bit values), and UTF-8 bytes
    assert fnv1a("") == 0x811C9DC5 and fnv1a("a") == 0xE40C292C and fnv1a("foobar") == 0xBF9CF968
    h = 0x811C9DC5
    for b in (0xC3, 0xA9):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    assert fnv1a("é") == h
    assert run_color("a") == PALETTE[0xE40C292C % len(PALETTE)]
    assert len({run_color(f"run_{i}") for i in range(240)}) == len(PALETTE)


def test_run_colors_follow_the_front_ends_rule():
    """The vector js/colors.test.ts checks for assignColors: the static picture and Python plots
    colour runs as the dashboard does, no two of twelve alike (run_lr_0001 and run_lr_00001 share
    a hash slot)."""
    runs = ["run_lr_001", "run_lr_0001", "run_lr_00001"] + [f"seed_{i}" for i in range(11)]
    assert run_colors(runs) == {
        "run_lr_00001": "#0077bb", "run_lr_0001": "#12b5cb", "run_lr_001": "#9334e6", "seed_0": "#cc3311",
        "seed_1": "#009988", "seed_10": "#e8710a", "seed_2": "#7cb342", "seed_3": "#5c7cfa",
        "seed_4": "#e52592", "seed_5": "#f9ab00", "seed_6": "#8e98a3", "seed_7": "#ff7043",
        "seed_8": "#e52592", "seed_9": "#f9ab00"}
    assert run_color("run_lr_0001") == run_color("run_lr_00001")
    before = run_colors(["run_lr_0001", "run_lr_001"])
    after = run_colors(["run_lr_00001", "run_lr_0001", "run_lr_001"], keep=before)
    assert {r: after[r] for r in before} == before and after["run_lr_00001"] != after["run_lr_0001"]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("plot") / "logs"
    rng = np.random.default_rng(0)
    for run, scale in (("run_a", 1.0), ("run_b", 2.0)):
        with nbtb.SummaryWriter(str(root / run)) as w:
            for step in range(20_000):
                w.add_scalar("loss/train", scale / (step + 1) + rng.random() * 0.01, step)
                if step % 100 == 0:
                    w.add_scalar("accuracy/val", 1 - scale / (step + 2), step)
    return nbtb.load(root)


def test_plot_facets_tags_and_colours_runs(logdir):
    spec = logdir.plot().to_dict()
    assert spec["facet"]["field"] == "tag" and spec["facet"]["sort"] == ["accuracy/val", "loss/train"]
    enc = spec["spec"]["layer"][0]["encoding"]
    assert enc["color"]["scale"]["domain"] == ["run_a", "run_b"]
    colours = run_colors(["run_a", "run_b"])
    assert enc["color"]["scale"]["range"] == [colours["run_a"], colours["run_b"]]
    assert spec["resolve"]["scale"]["y"] == "independent"


def test_plot_one_tag_one_run_with_smoothing(logdir):
    chart = logdir.plot(tag="loss/train", run="run_b", smoothing=0.6)
    spec = chart.to_dict()
    assert spec["title"] == "loss/train" and len(spec["layer"]) == 2  # faded raw + smoothed
    rows = chart.data
    assert set(rows["run"]) == {"run_b"} and set(rows["tag"]) == {"loss/train"}
    step, _, value = logdir.scalar_series("run_b", "loss/train")
    # smoothed over the FULL series, then sampled: TB's smoothing at the kept steps
    full = smooth(value, 0.6)
    idx = np.searchsorted(step, rows["step"].to_numpy())
    np.testing.assert_allclose(rows["smoothed"].to_numpy(), full[idx], rtol=1e-10)
    np.testing.assert_array_equal(rows["value"].to_numpy(), value[idx])


def test_long_series_are_reduced_per_pixel(logdir):
    df = points(logdir, tag="loss/train", width=100)
    per_run = df.groupby("run").size()
    assert (per_run <= 400).all() and (per_run > 100).all()  # ≤ 4 per column, not 20 000
    # spikes survive: each run's max and min are kept
    for run, g in df.groupby("run"):
        _, _, value = logdir.scalar_series(run, "loss/train")
        assert g["value"].max() == value.max() and g["value"].min() == value.min()
    capped = points(logdir, max_points=300)
    assert len(capped) <= 300
    assert len(logdir.plot(tag=re.compile("loss")).data) <= 4 * 320 * 2


def test_series_points_edge_cases():
    step = np.arange(10)
    wall = 1000.0 + step * 2
    value = np.array([1, 2, np.nan, 4, np.inf, 6, 7, 8, 9, 10], dtype=float)
    out = series_points(step, wall, value, smoothing=0.5, x="relative")
    np.testing.assert_array_equal(out["x"], step * 2.0)
    assert np.isnan(out["smoothed"][2]) and np.isinf(out["smoothed"][4])  # pass through, as TB
    assert out["value"].size == 10
    with pytest.raises(ValueError, match="x must be one of"):
        series_points(step, wall, value, x="epoch")


def test_plot_x_axes_and_json_safe(logdir, tmp_path):
    root = tmp_path / "nan"
    with nbtb.SummaryWriter(str(root / "r")) as w:
        for step, v in enumerate([1.0, float("nan"), float("inf"), 0.5]):
            w.add_scalar("x", v, step)
    chart = nbtb.load(root).plot(x="wall_time")
    assert chart.to_dict()["layer"][0]["encoding"]["x"]["type"] == "temporal"
    chart.to_json()  # inf/nan became null: valid JSON for Vega-Lite
    assert nbtb.load(root).plot(x="relative").to_dict()["layer"][0]["encoding"]["x"]["title"].startswith("relative")


def test_plot_errors(logdir):
    with pytest.raises(ValueError, match="no scalar series matches.*scalar tags: accuracy/val, loss/train"):
        logdir.plot(tag="nope")
    with pytest.raises(ValueError, match="smoothing"):
        logdir.plot(smoothing=2)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 450, 451, 25_000])
@pytest.mark.parametrize("weight", [0.0, 1e-9, 0.001, 0.3, 0.6, 0.95, 0.999, 0.99999, 1.0, -1.0, 2.0])
def test_smooth_fast_is_tb_smoothing(n, weight):
    rng = np.random.default_rng(n)
    y = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 6) + rng.uniform(-1e3, 1e3)
    if n > 10:
        y[[3, 7, n - 1]] = [np.nan, np.inf, -np.inf]
    want, got = smooth(y, weight), smooth_fast(y, weight)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_array_equal(got[~np.isfinite(want)], want[~np.isfinite(want)])  # pass through
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-12 * np.abs(want[ok]).max(initial=0))
    const = np.full(n, 3.5)
    np.testing.assert_array_equal(smooth_fast(const, weight), const)  # a constant series is left alone
    # Asked at some points only (as a reduced picture does), the same numbers as the whole series.
    at = np.unique(rng.integers(0, max(n, 1), size=min(n, 40))) if n else np.zeros(0, np.int64)
    np.testing.assert_array_equal(smooth_fast(y, weight, at=at), got[at])


@pytest.mark.parametrize("weight", [1e-9, 0.3, 0.6, 0.8])
def test_smoothing_a_few_points_of_a_long_series_looks_back_a_window_only(weight, monkeypatch):
    """A static picture asks ~30 points of a 25k-point series: those are smoothed from the last
    window of points before each (w**window < 1e-20), not by a pass over the series; still TB's
    numbers, even right after a drop by six orders of magnitude. (Heavier weights need windows
    too long to pay off at this length, and take the full pass.)"""
    import nbtb.widgets.smoothing as smoothing

    calls = []
    real = smoothing._smooth_in_windows
    monkeypatch.setattr(smoothing, "_smooth_in_windows", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(7)
    y = rng.normal(size=25_000).cumsum() + 50.0
    y[:5_000] *= 1e6  # huge early values must not leak into the later average
    at = np.unique(np.concatenate([[0, 1, 4_999, 5_000, 5_001, 24_999], rng.integers(0, 25_000, 24)]))
    got = smoothing.smooth_fast(y, weight, at=at)
    assert calls, "the window path was not taken"
    np.testing.assert_allclose(got, smoothing.smooth(y, weight)[at], rtol=1e-9)
