"""Histograms/distributions, kernel side: the compressor against TensorBoard's, and the binary
``histograms_reply`` layout (docs/protocol.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import nbtb
from nbtb.widgets.histograms import (HistogramSeries, compress_histogram, distribution_values,
                                     histogram_replies, histogram_series)

DATA = Path(__file__).parent / "data"
import tensorboard.plugins.distribution.compressor as tb_compressor


def _rows(name: str):
    frame = nbtb.load(str(DATA / name)).histograms
    assert len(frame), f"{name} has no histograms"
    return frame


@pytest.mark.parametrize("name", ["keras_sweep", "tf2_summaries"])
def test_compressor_equals_tensorboard_on_real_histograms(name):
    frame = _rows(name)
    for _, r in frame.iterrows():
        buckets = np.stack([r["left"], r["right"], r["count"]], axis=1)
        assert compress_histogram(buckets) == tb_compressor.compress_histogram(buckets), (r["run"], r["tag"], r["step"])


def test_compressor_equals_tensorboard_on_random_fractional_histograms():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 200))
        edges = np.sort(rng.normal(size=n + 1)) * rng.uniform(1e-3, 1e3)
        counts = rng.random(n) * rng.uniform(0.5, 1e4)
        counts[rng.random(n) < 0.3] = 0
        buckets = np.stack([edges[:-1], edges[1:], counts], axis=1)
        assert compress_histogram(buckets) == tb_compressor.compress_histogram(buckets)
    assert compress_histogram([]) == tb_compressor.compress_histogram([])
    zero = [[0.0, 1.0, 0.0], [1.0, 2.0, 0.0]]
    assert compress_histogram(zero) == tb_compressor.compress_histogram(zero)


def test_js_fixture_matches_tensorboard():
    """tests/js/compress_fixture.ts (what vitest holds js/compress.ts to) is TensorBoard's output."""
    text = (Path(__file__).parent / "js" / "compress_fixture.ts").read_text()
    cases = json.loads(re.search(r"export const cases: Case\[\] = (.*);\s*$", text, re.S).group(1))
    assert len(cases) > 20
    for c in cases:
        buckets = np.stack([c["left"], c["right"], c["count"]], axis=1) if c["left"] else []
        assert [v for _, v in tb_compressor.compress_histogram(buckets)] == c["expected"], c["name"]
        assert distribution_values(np.array(c["left"]), np.array(c["right"]),
                                   np.array(c["count"])).tolist() == c["expected"]


def _decode(messages):
    """Inverse of histogram_replies: {run: (step, wall, [(left, right, count) per step])}."""
    out: dict = {}
    for msg, bufs in messages:
        assert msg["kind"] == "histograms_reply"
        arrays = [np.frombuffer(b, dtype="<f8") for b in bufs]
        assert len(arrays) == 6 * len(msg["series"])
        for k, s in enumerate(msg["series"]):
            step, wall, off, left, right, count = arrays[6 * k:6 * k + 6]
            assert len(step) == len(wall) == s["n"] and len(off) == s["n"] + 1
            assert len(left) == len(right) == len(count) == s["buckets"] == off[-1]
            prev = out.setdefault(s["run"], ([], [], []))
            prev[0].extend(step.tolist())
            prev[1].extend(wall.tolist())
            for i in range(s["n"]):
                a, b = int(off[i]), int(off[i + 1])
                prev[2].append((left[a:b], right[a:b], count[a:b]))
    return out


@pytest.mark.parametrize("limit", [4 * 1024 * 1024, 2000])
def test_replies_carry_the_frame_exactly(limit):
    frame = _rows("keras_sweep")
    tag = str(frame["tag"].iloc[0])
    runs = sorted(set(frame.loc[frame["tag"].astype(str) == tag, "run"].astype(str)))
    messages = histogram_replies(11, tag, histogram_series(frame, tag, [*runs, "missing"]), limit=limit)
    if limit < 10_000:
        assert len(messages) > 1
        for msg, bufs in messages:
            assert sum(len(b) for b in bufs) <= max(limit, 8 * (4 + 3 * 60) + 8)
    assert [m["part"] for m, _ in messages] == list(range(len(messages)))
    assert {m["parts"] for m, _ in messages} == {len(messages)}
    got = _decode(messages)
    assert sorted(got) == runs
    for run in runs:
        rows = frame[(frame["tag"].astype(str) == tag) & (frame["run"].astype(str) == run)].sort_values("step")
        steps, walls, hists = got[run]
        assert steps == rows["step"].astype(float).tolist()
        assert walls == rows["wall_time"].tolist()
        for (l, r, c), (_, row) in zip(hists, rows.iterrows(), strict=True):
            assert l.tolist() == list(row["left"]) and r.tolist() == list(row["right"])
            assert c.tolist() == list(row["count"])


def test_empty_request_still_replies():
    messages = histogram_replies(3, "nope", [])
    assert len(messages) == 1
    msg, bufs = messages[0]
    assert msg == {"kind": "histograms_reply", "request_id": 3, "tag": "nope", "series": [],
                   "part": 0, "parts": 1}
    assert bufs == []


def test_series_from_rows_handles_varying_bucket_counts():
    import pandas as pd

    rows = pd.DataFrame({"run": ["r", "r"], "tag": ["t", "t"], "step": [5, 1], "wall_time": [2.0, 1.0],
                         "left": [np.array([0.0, 1.0, 2.0]), np.array([0.0])],
                         "right": [np.array([1.0, 2.0, 3.0]), np.array([1.0])],
                         "count": [np.array([1.0, 2.0, 3.0]), np.array([4.0])]})
    s = HistogramSeries.from_rows("r", rows)
    assert s.step.tolist() == [1.0, 5.0]  # sorted by step
    assert s.offsets.tolist() == [0.0, 1.0, 4.0]
    assert s.count.tolist() == [4.0, 1.0, 2.0, 3.0]
    assert s.slice(1, 2).offsets.tolist() == [0.0, 3.0]


@pytest.fixture
def stub_front_end(tmp_path, monkeypatch):
    """A stub bundle, so the widget tests do not depend on `npm run build`."""
    from nbtb.widgets import dashboard as dashboard_mod

    esm = tmp_path / "dashboard.js"
    esm.write_text("export default { render() {} };")
    monkeypatch.setattr(dashboard_mod, "ESM_PATH", esm)
    monkeypatch.setattr(dashboard_mod, "CSS_PATH", tmp_path / "missing.css")


def test_dashboard_answers_histograms_requests(stub_front_end):
    from nbtb.widgets.dashboard import Dashboard

    log = nbtb.load(str(DATA / "tf2_summaries"))
    dash = Dashboard(log, reload_interval=0, tab="histograms")
    assert dash.histogram_mode == "offset"
    assert dash.catalog["histograms"], "the catalog lists histogram tags (the Histograms/Distributions tabs)"
    sent: list = []
    dash.send = lambda content, buffers=None: sent.append((content, buffers or []))
    frame = log.histograms
    tag = str(frame["tag"].iloc[0])
    runs = sorted(set(frame.loc[frame["tag"].astype(str) == tag, "run"].astype(str)))
    dash._on_msg(dash, {"kind": "histograms_request", "request_id": 4, "tag": tag, "runs": [*runs, "nope"]}, [])
    got = _decode(sent)
    assert sorted(got) == runs
    assert sum(len(v[0]) for v in got.values()) == int((frame["tag"].astype(str) == tag).sum())
    assert all(m["request_id"] == 4 for m, _ in sent)

    sent.clear()  # a failing request still gets a (histograms) reply
    dash._on_msg(dash, {"kind": "histograms_request", "request_id": 5}, [])
    assert sent[0][0]["kind"] == "histograms_reply" and sent[0][0]["series"] == []
    dash.close()


def test_a_cards_refresh_costs_nothing_until_new_steps_arrive(stub_front_end, tmp_path):
    """After a reload, each visible card asks again with what it has (known_count, known_last):
    the kernel answers `unchanged` without data, until the run really has new steps."""
    from nbtb.widgets.dashboard import Dashboard

    rng = np.random.default_rng(1)
    writer = nbtb.SummaryWriter(str(tmp_path / "run"))
    for step in range(3):
        writer.add_histogram("w", rng.normal(size=100), step)
    writer.flush()
    dash = Dashboard(nbtb.load(str(tmp_path)), reload_interval=0, tab="histograms")
    sent: list = []
    dash.send = lambda content, buffers=None: sent.append((content, buffers or []))
    ask = {"kind": "histograms_request", "request_id": 1, "tag": "w", "runs": ["run"],
           "known_count": 3, "known_last": 2}
    dash._on_msg(dash, ask, [])
    assert [m.get("unchanged") for m, _ in sent] == [True] and sent[0][1] == []

    writer.add_histogram("w", rng.normal(size=100), 3)
    writer.flush()
    assert dash.reload_once()
    sent.clear()
    dash._on_msg(dash, {**ask, "request_id": 2}, [])
    got = _decode(sent)
    assert "unchanged" not in sent[0][0] and list(got["run"][0]) == [0, 1, 2, 3]
    writer.close()
    dash.close()


def test_show_opens_the_histograms_tab(stub_front_end):
    dash = nbtb.show(str(DATA / "tf2_summaries"), tab="histograms", reload_interval=0)
    try:
        assert dash.tab == "histograms"
    finally:
        dash.close()


def test_histogram_and_distribution_views_are_the_tabs_alone(stub_front_end):
    for name, tab in (("HistogramView", "histograms"), ("DistributionView", "distributions")):
        w = getattr(nbtb, name)(str(DATA / "tf2_summaries"), histogram_mode="overlay")
        try:
            assert (w.tab, w.panel, w.histogram_mode, w.reload_interval) == (tab, tab, "overlay", 0)
            assert w.catalog["histograms"]
        finally:
            w.close()


def _legacy_histograms(root: Path) -> Path:
    """Two runs x two tags of HistogramProto histograms (set aside undecoded when read), one run restarted."""
    rng = np.random.default_rng(3)
    for run in ("a", "b"):
        with nbtb.SummaryWriter(str(root / run)) as w:
            for step in range(12):
                w.add_histogram("w/0", rng.normal(size=200), step)
                w.add_histogram("w/1", rng.normal(step, 1, size=200), step)
    with nbtb.SummaryWriter(str(root / "a")) as w:  # rewrites steps 8.. of w/0: purged in the frame
        for step in range(8, 10):
            w.add_histogram("w/0", rng.normal(size=50), step)
    return root


@pytest.mark.parametrize("name", ["keras_sweep", "tf2_summaries", "legacy"])
def test_one_cards_rows_equal_the_frames_without_decoding_the_rest(name, tmp_path):
    """A Histograms card asks for one tag of one run: `Logdir.rows_for` decodes only those records
    (the rest stay set aside), and gives exactly the rows the full frame has for them."""
    path = str(_legacy_histograms(tmp_path) if name == "legacy" else DATA / name)
    lazy = nbtb.load(path)
    full = nbtb.load(path).histograms
    pending = sum(len(lazy._runs[r].events.deferred) for r in lazy.runs)
    if name == "legacy":
        assert pending == len(full) + 4, "HistogramProto records should wait undecoded"  # 4 purged
    for (run, tag), want in full.groupby(["run", "tag"], observed=True):
        got = lazy.rows_for("histograms", str(tag), [str(run)])
        assert list(got["step"]) == list(want["step"]) and list(got["wall_time"]) == list(want["wall_time"])
        for column in ("left", "right", "count"):
            for a, b in zip(got[column], want[column]):
                np.testing.assert_array_equal(a, b)
        left = sum(len(lazy._runs[r].events.deferred) for r in lazy.runs)
        assert left == pending - (len(want) + (4 if (run, tag) == ("a", "w/0") else 0) if pending else 0)
        pending = left
    assert lazy.rows_for("histograms", "no such tag", lazy.runs).empty
    assert len(lazy.histograms) == len(full)  # the frame, built after the cards: every row, once
