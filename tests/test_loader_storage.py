"""How a loaded logdir holds its data (issue 2's memory floor): scalars once, in the frame's arrays
after it is built; histogram/image/audio records of local files by position until asked for.
These tests pin the behaviour that makes that safe: user edits never reach the loader's storage,
refreshes still purge and append exactly, big steps stay exact, and a file changed on disk loses
only the records that changed, with a warning naming it."""

from __future__ import annotations

import os

import numpy as np
import pytest

import nbtb
from helpers_events import data_loss_warnings, write_scalars


def test_editing_the_frame_changes_neither_the_loader_nor_later_frames(tmp_path):
    path, pairs = write_scalars(tmp_path / "run", 50)
    lg = nbtb.load(tmp_path)
    df = lg.scalars
    df.loc[0, "value"] = 123.0  # a user's edit of their frame
    df["value"] *= 2
    assert lg.scalars["value"].iloc[0] == pairs[0][1]
    step, _, value = lg.scalar_series("run", "loss")
    np.testing.assert_array_equal(value, [v for _, v in pairs])

    with nbtb.SummaryWriter(str(tmp_path / "run")) as w:  # more points arrive; the frame is rebuilt
        for s in range(50, 60):
            w.add_scalar("loss", s + 0.25, s)
    assert lg.refresh()
    again = lg.scalars
    assert again["step"].tolist() == list(range(60))
    assert again["value"].tolist()[:50] == [v for _, v in pairs]


def test_the_frame_is_the_storage_and_a_refresh_after_it_purges_exactly(tmp_path):
    """After the frame is built, a run's points live in its arrays only; a restart read later
    still purges the superseded points of the earlier write."""
    write_scalars(tmp_path / "run", 100, value=lambda s: s + 0.5)
    lg = nbtb.load(tmp_path)
    frame = lg._frame("scalars")
    chunk, = lg._runs["run"].events.scalars
    assert np.shares_memory(chunk.value, frame["value"].to_numpy()), "points are held twice"

    write_scalars(tmp_path / "run", 71, start=50, value=lambda s: -s - 0.5)  # a restart at step 50
    assert lg.refresh()
    got = list(zip(lg.scalars["step"], lg.scalars["value"]))
    assert got == [(s, s + 0.5) for s in range(50)] + [(s, -s - 0.5) for s in range(50, 121)]
    assert got == list(zip(nbtb.load(tmp_path).scalars["step"], nbtb.load(tmp_path).scalars["value"]))


def test_steps_beyond_int32_stay_exact(tmp_path):
    steps = [5, 2**31 - 1, 2**31, 2**40, 2**62]
    with nbtb.SummaryWriter(str(tmp_path / "run")) as w:
        for s in steps:
            w.add_scalar("big", 1.0, s)
    lg = nbtb.load(tmp_path)
    assert lg.scalar_series("run", "big")[0].tolist() == steps  # before the frame: from the events
    assert lg.scalars["step"].dtype == np.int64 and lg.scalars["step"].tolist() == steps


def _histograms(run_dir, steps: int) -> None:
    rng = np.random.default_rng(0)
    with nbtb.SummaryWriter(str(run_dir)) as w:
        for s in range(steps):
            w.add_histogram("w", rng.normal(size=100), s)
            w.add_scalar("loss", 1.0 / (s + 1), s)


def test_local_records_set_aside_hold_no_bytes_and_read_back_exactly(tmp_path):
    _histograms(tmp_path / "run", 20)
    lg = nbtb.load(tmp_path)
    deferred = lg._runs["run"].events.deferred
    assert len(deferred) == 20 and all(d.payload is None for d in deferred)
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
    from tensorboard.util import tensor_util

    mux = pem.EventMultiplexer({"run": str(tmp_path / "run")})
    mux.Reload()
    want = mux.Tensors("run", "w")
    got = lg.histograms
    assert got["step"].tolist() == [e.step for e in want]
    for (_, row), event in zip(got.iterrows(), want):
        buckets = np.stack([row["left"], row["right"], row["count"]], axis=1)
        np.testing.assert_array_equal(buckets, tensor_util.make_ndarray(event.tensor_proto))


def test_a_file_changed_on_disk_loses_only_the_changed_records(tmp_path):
    _histograms(tmp_path / "run", 20)
    lg = nbtb.load(tmp_path)
    d = lg._runs["run"].events.deferred[7]
    with open(d.source, "r+b") as f:  # another program rewrites one histogram's bytes in place
        f.seek(d.at + d.length // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    with data_loss_warnings() as found:
        h = lg.histograms
    assert h["step"].tolist() == [s for s in range(20) if s != 7]
    assert len(found) == 1 and d.source in str(found[0].message) and f"byte {d.offset}" in str(found[0].message)
    assert "changed on disk" in str(found[0].message)
    assert len(lg.scalars) == 20  # the rest of the file is untouched


@pytest.mark.parametrize("gone", ["truncated", "deleted"])
def test_a_file_truncated_or_deleted_before_decoding_loses_its_records_not_the_logdir(tmp_path, gone):
    _histograms(tmp_path / "run", 10)
    _histograms(tmp_path / "other", 10)
    lg = nbtb.load(tmp_path)
    path = lg._runs["run"].events.deferred[0].source
    if gone == "deleted":
        os.remove(path)
    else:
        os.truncate(path, lg._runs["run"].events.deferred[5].at)
    with data_loss_warnings() as found:
        h = lg.histograms
    assert set(h[h["run"] == "other"]["step"]) == set(range(10))
    kept = set(h[h["run"] == "run"]["step"])
    assert kept == (set() if gone == "deleted" else set(range(5)))
    assert found and path in str(found[0].message)
