"""Dashboards and panels fed by frames instead of a logdir: `nbtb.ImageGrid(lg.images[...])`,
`nbtb.show(lg.scalars[...])`. What they send must be exactly the given rows, nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbtb
from nbtb.widgets.dashboard import Dashboard
from nbtb.widgets.frames_source import FrameSource, kind_of

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def lg():
    return nbtb.load(str(DATA / "tf2_summaries"))


@pytest.fixture
def sent(monkeypatch):
    out: list = []
    monkeypatch.setattr(Dashboard, "send", lambda self, msg, buffers=None: out.append((msg, buffers or [])))
    return out


def test_each_loader_frame_is_recognised(lg):
    for kind in ("scalars", "histograms", "images", "text", "tensors"):
        frame = getattr(lg, kind)
        assert len(frame), f"fixture has no {kind}"
        assert kind_of(frame) == kind
    with pytest.raises(ValueError, match="'run' column"):
        kind_of(pd.DataFrame({"step": [1], "value": [2.0]}))
    with pytest.raises(ValueError, match="not one of nbtb's frames"):
        kind_of(pd.DataFrame({"run": ["a"], "tag": ["t"], "step": [1], "colour": ["red"]}))
    with pytest.raises(ValueError, match="looks like 'images'"):
        FrameSource({"scalars": lg.images})


def test_image_grid_of_a_filtered_frame_shows_those_rows_only(lg, sent):
    images = lg.images
    tag = str(images["tag"].iloc[0])
    last = int(images["step"].max())
    subset = images[images["step"] < last]  # drop the newest step
    grid = nbtb.ImageGrid(subset)
    try:
        assert grid.logdir == "frames" and grid.runs == sorted(set(subset["run"].astype(str)))
        assert set(grid.catalog["images"]) == set(subset["tag"].astype(str))
        assert grid.catalog["scalars"] == {}
        run = str(subset["run"].iloc[0])
        grid._on_msg(grid, {"kind": "media_request", "request_id": 1, "plugin": "images", "tag": tag,
                            "run": run, "step": None}, [])
        (msg, buffers), = sent
        want = subset[(subset["run"] == run) & (subset["tag"] == tag)]
        assert msg["steps"] == sorted(set(want["step"].astype(int)))
        assert msg["step"] == max(msg["steps"]) < last
        at = want[want["step"] == msg["step"]].sort_values("index")
        assert [bytes(b) for b in buffers] == list(at["data"])
    finally:
        grid.close()


def test_show_of_a_scalars_frame_answers_from_it(lg, sent):
    scalars = lg.scalars
    tag = str(scalars["tag"].iloc[0])
    rows = scalars[scalars["tag"] == tag].iloc[::2]  # every other point
    dash = nbtb.show(rows)
    try:
        assert dash.tab == "scalars" and dash.reload_interval == 0
        assert list(dash.catalog["scalars"]) == [tag]
        runs = sorted(set(rows["run"].astype(str)))
        dash._on_msg(dash, {"kind": "scalars_request", "request_id": 3, "tag": tag, "runs": runs,
                            "width": 800}, [])
        got = {}
        for msg, buffers in sent:
            for k, s in enumerate(msg["series"]):
                step, _wall, value = (np.frombuffer(b, "<f8") for b in buffers[3 * k:3 * k + 3])
                got[s["run"]] = (step, value)
        for run in runs:
            want = rows[rows["run"] == run]
            np.testing.assert_array_equal(got[run][0], want["step"].to_numpy(np.float64))
            np.testing.assert_array_equal(got[run][1], want["value"].to_numpy())
        assert dash.reload_once() is False  # frames do not grow
        bundle = dash._repr_mimebundle_()
        assert "image/svg+xml" in (bundle[0] if isinstance(bundle, tuple) else bundle)  # static picture too
    finally:
        dash.close()


def test_histogram_view_and_a_dict_of_frames(lg, sent):
    hist = lg.histograms
    tag, run = str(hist["tag"].iloc[0]), str(hist["run"].iloc[0])
    view = nbtb.HistogramView({"histograms": hist, "scalars": lg.scalars})
    try:
        assert view.tab == "histograms" and tag in view.catalog["histograms"] and view.catalog["scalars"]
        view._on_msg(view, {"kind": "histograms_request", "request_id": 2, "tag": tag, "runs": [run]}, [])
        (msg, buffers), = sent
        want = hist[(hist["run"] == run) & (hist["tag"] == tag)]
        assert msg["series"][0]["n"] == len(want)
        np.testing.assert_array_equal(np.frombuffer(buffers[0], "<f8"), want["step"].to_numpy(np.float64))
        np.testing.assert_array_equal(np.frombuffer(buffers[5], "<f8"), np.concatenate(list(want["count"])))
    finally:
        view.close()


def test_show_opens_the_tab_of_the_frame_given(lg):
    dash = nbtb.show(lg.text)
    try:
        assert dash.tab == "text" and dash.catalog["text"]
    finally:
        dash.close()
