"""Logdir.refresh(): a live writer in another process, new files and runs, restarts and purging."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import nbtb
from helpers_events import load_recording, pairs, refresh_recording, write_scalars

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Writes N scalars to tag "loss" (value = step / 8, exact in float32), flushing every FLUSH_EVERY,
# and every SPLIT_EVERY steps one record of tag "raw" as raw bytes in two halves with a pause,
# cut at a different place each time (inside the length, the length CRC, the payload, the footer).
WRITER_SCRIPT = textwrap.dedent("""
    import os, sys, time
    import nbtb
    from nbtb import records
    from nbtb.proto import event_pb2, summary_pb2

    log_dir, n, flush_every, split_every, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    w = nbtb.SummaryWriter(log_dir)
    print(w.path, flush=True)
    sys.stdin.readline()  # wait until the reader has loaded the logdir
    cuts = [3, 8, 11, 12, 13, 20, -5, -4, -1]
    for step in range(n):
        w.add_scalar("loss", step / 8, step)
        if step % flush_every == flush_every - 1:
            w.flush()
            time.sleep(pause)
        if step % split_every == split_every - 1:
            w.flush()
            event = event_pb2.Event(wall_time=time.time(), step=step)
            event.summary.value.append(summary_pb2.Summary.Value(tag="raw", simple_value=-step / 4))
            data = records.encode(event.SerializeToString())
            cut = cuts[(step // split_every) % len(cuts)] % len(data)
            with open(w.path, "ab") as f:
                f.write(data[:cut])
                f.flush()
                time.sleep(0.03)
                f.write(data[cut:])
    w.close()
""")


def _rename_in_order(path: str, index: int) -> str:
    """Give a written file a name that sorts by `index`, whatever second and counter the writer used."""
    new = os.path.join(os.path.dirname(path), "events.out.tfevents.%010d.test" % (1_600_000_000 + index))
    os.rename(path, new)
    return new


# ---- a writer in another process -------------------------------------------------------------
def test_live_writer_in_another_process_every_record_exactly_once(tmp_path):
    n, flush_every, split_every = 2000, 5, 97
    run_dir = tmp_path / "live"
    logdir, messages = load_recording(tmp_path)
    assert logdir.runs == [] and messages == []
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(run_dir), str(n), str(flush_every), str(split_every), "0.004"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")})
    try:
        path = proc.stdout.readline().strip()
        assert os.path.exists(path), path
        result, messages = refresh_recording(logdir)
        assert result.new_runs == ["live"] and result.new_files == [path]
        proc.stdin.write("go\n")
        proc.stdin.flush()
        chunks = [result.scalars]
        refreshes_with_data = 0
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            result, new_messages = refresh_recording(logdir)
            messages += new_messages
            if result.records:
                refreshes_with_data += 1
                chunks.append(result.scalars)
                assert not result.reset  # steps only go up: nothing read earlier is ever dropped
            time.sleep(0.01)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    result, new_messages = refresh_recording(logdir)
    messages += new_messages
    chunks.append(result.scalars)
    assert messages == []
    # The reader really did read while the writer was writing, not just once at the end.
    assert refreshes_with_data >= 5, refreshes_with_data

    loss = [(s, s / 8) for s in range(n)]
    raw = [(s, -s / 4) for s in range(n) if s % split_every == split_every - 1]
    assert pairs(logdir.scalars, run="live", tag="loss") == loss
    assert pairs(logdir.scalars, run="live", tag="raw") == raw
    assert len(logdir.scalars) == len(loss) + len(raw)
    # The refreshes' own `.scalars` add up to the same rows, each exactly once.
    new_rows = pd.concat([c for c in chunks if len(c)], ignore_index=True)
    assert pairs(new_rows, tag="loss") == loss
    assert pairs(new_rows, tag="raw") == raw
    assert len(new_rows) == len(loss) + len(raw)
    assert not refresh_recording(logdir)[0]


# ---- new files, new runs, what Refresh reports -------------------------------------------------
def test_refresh_picks_up_appends_new_files_and_new_runs(tmp_path):
    with nbtb.SummaryWriter(tmp_path / "a") as w:
        for s in range(10):
            w.add_scalar("loss", s, s)
        w.flush()
        logdir, messages = load_recording(tmp_path)
        assert logdir.runs == ["a"] and len(logdir.scalars) == 10

        # Nothing new.
        result, messages = refresh_recording(logdir)
        assert not result and bool(result) is False
        assert result.new_runs == [] and result.new_files == [] and result.records == 0
        assert result.scalars.empty and list(result.scalars.columns) == ["run", "tag", "step", "wall_time", "value"]

        # Appended to the open file: only those rows.
        for s in range(10, 15):
            w.add_scalar("loss", s, s)
        w.flush()
        result, messages = refresh_recording(logdir)
        assert result and result.records == 5 and result.new_runs == [] and result.new_files == []
        assert pairs(result.scalars) == [(s, float(s)) for s in range(10, 15)]
        assert list(result.scalars["run"].astype(str)) == ["a"] * 5

    # A new run, and a new file in an existing run.
    b_path, b_written = write_scalars(tmp_path / "b" / "deep", 4, tag="acc")
    a2_path, a2_written = write_scalars(tmp_path / "a", 3, tag="lr", start=100)
    result, messages = refresh_recording(logdir)
    assert messages == []
    assert result and result.new_runs == ["b/deep"]
    assert sorted(result.new_files) == sorted([b_path, a2_path])
    assert result.records == 2 * 1 + 4 + 3  # two file_version records
    assert sorted(pairs(result.scalars)) == sorted(b_written + a2_written)
    assert pairs(result.scalars, run="b/deep") == b_written
    assert logdir.runs == ["a", "b/deep"]
    assert pairs(logdir.scalars, run="a", tag="loss") == [(s, float(s)) for s in range(15)]
    assert pairs(logdir.scalars, run="a", tag="lr") == a2_written
    assert pairs(logdir.scalars, run="b/deep", tag="acc") == b_written

    # A new run holding only an empty event file is still a new run, with no rows.
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "events.out.tfevents.1.host").write_bytes(b"")
    result, messages = refresh_recording(logdir)
    assert result and result.new_runs == ["c"] and result.records == 0 and result.scalars.empty
    assert not refresh_recording(logdir)[0]


def test_refresh_respects_run_and_tag_selection(tmp_path):
    write_scalars(tmp_path / "keep", 3)
    logdir, _ = load_recording(tmp_path, run=["keep", "later"], tag="loss")
    write_scalars(tmp_path / "later", 3)
    write_scalars(tmp_path / "later", 3, tag="other", start=10)
    write_scalars(tmp_path / "ignored", 3)
    result, _ = refresh_recording(logdir)
    assert result.new_runs == ["later"]
    assert set(result.scalars["tag"].astype(str)) == {"loss"}
    assert logdir.runs == ["keep", "later"]
    assert len(logdir.scalars) == 6


# ---- restarts and purging -------------------------------------------------------------------
def _restarted_run(run_dir):
    first, _ = write_scalars(run_dir, 100, value=lambda s: s + 0.5)  # steps 0..99
    _rename_in_order(first, 1)
    second, _ = write_scalars(run_dir, 71, start=50, value=lambda s: -s - 0.5)  # steps 50..120
    _rename_in_order(second, 2)


def test_restarted_run_default_purge_keeps_the_later_write(tmp_path):
    _restarted_run(tmp_path / "run")
    logdir, messages = load_recording(tmp_path)
    got = pairs(logdir.scalars)
    assert len(got) == 121
    assert got == [(s, s + 0.5) for s in range(50)] + [(s, -s - 0.5) for s in range(50, 121)]


def test_restarted_run_without_purge_keeps_everything(tmp_path):
    _restarted_run(tmp_path / "run")
    logdir, _ = load_recording(tmp_path, purge=False)
    got = pairs(logdir.scalars)
    assert len(got) == 171
    assert sorted(got) == sorted([(s, s + 0.5) for s in range(100)] + [(s, -s - 0.5) for s in range(50, 121)])


def test_restart_arriving_through_refresh(tmp_path):
    run_dir = tmp_path / "run"
    first, _ = write_scalars(run_dir, 100, value=lambda s: s + 0.5)
    _rename_in_order(first, 1)
    logdir, _ = load_recording(tmp_path)
    assert len(logdir.scalars) == 100
    second, _ = write_scalars(run_dir, 71, start=50, value=lambda s: -s - 0.5)
    _rename_in_order(second, 2)
    result, messages = refresh_recording(logdir)
    assert messages == []
    assert pairs(result.scalars) == [(s, -s - 0.5) for s in range(50, 121)]
    assert ("run", "loss") in result.reset
    assert pairs(logdir.scalars) == [(s, s + 0.5) for s in range(50)] + [(s, -s - 0.5) for s in range(50, 121)]


def _session_restart(run_dir, purge_step=60):
    """First session (its own START at 0) writes a and b at 0..99; a second session restarts at purge_step."""
    with nbtb.SummaryWriter(run_dir, purge_step=0) as w:
        for s in range(100):
            w.add_scalar("a", s, s)
            w.add_scalar("b", 1000 + s, s)
    _rename_in_order(w.path, 1)
    with nbtb.SummaryWriter(run_dir, purge_step=purge_step) as w:
        for s in range(purge_step, purge_step + 20):
            w.add_scalar("a", -s, s)
    return _rename_in_order(w.path, 2)


def test_session_log_start_purges_every_tag_of_the_run(tmp_path):
    _session_restart(tmp_path / "restarted")
    untouched, untouched_written = write_scalars(tmp_path / "other", 100)
    logdir, messages = load_recording(tmp_path)
    assert messages == []
    df = logdir.scalars
    assert pairs(df, run="restarted", tag="a") == [(s, float(s)) for s in range(60)] + [(s, float(-s)) for s in range(60, 80)]
    assert pairs(df, run="restarted", tag="b") == [(s, 1000.0 + s) for s in range(60)]  # b was not rewritten
    assert pairs(df, run="other") == untouched_written

    logdir, _ = load_recording(tmp_path, purge=False)
    assert len(logdir.scalars[logdir.scalars["run"] == "restarted"]) == 220


def test_first_session_start_alone_does_not_purge(tmp_path):
    """The first START of a run marks its start; later STARTs are restarts (FORMATS.md §6)."""
    with nbtb.SummaryWriter(tmp_path / "run", purge_step=0) as w:
        for s in range(10):
            w.add_scalar("a", s, s)
    logdir, _ = load_recording(tmp_path)
    assert len(logdir.scalars) == 10


def test_session_restart_arriving_through_refresh(tmp_path):
    run_dir = tmp_path / "restarted"
    with nbtb.SummaryWriter(run_dir, purge_step=0) as w:
        for s in range(100):
            w.add_scalar("a", s, s)
            w.add_scalar("b", 1000 + s, s)
    _rename_in_order(w.path, 1)
    logdir, _ = load_recording(tmp_path)
    assert len(logdir.scalars) == 200
    with nbtb.SummaryWriter(run_dir, purge_step=60) as w:
        for s in range(60, 80):
            w.add_scalar("a", -s, s)
    _rename_in_order(w.path, 2)
    result, messages = refresh_recording(logdir)
    assert messages == []
    assert result.reset == {("restarted", "a"), ("restarted", "b")}
    df = logdir.scalars
    assert pairs(df, tag="a") == [(s, float(s)) for s in range(60)] + [(s, float(-s)) for s in range(60, 80)]
    assert pairs(df, tag="b") == [(s, 1000.0 + s) for s in range(60)]


def test_restart_by_a_second_writer_in_the_same_second_is_read_after_the_first(tmp_path, monkeypatch):
    """Files are read in name order, so a later writer's file must sort after an earlier one's.

    The writer numbers its files with an unpadded per-process counter after the whole second:
    within one second, file ...9 sorts after file ...10, and the restart is read before the run it
    restarts. Pin the clock to one second and the counter to 9 to make that boundary certain.
    """
    import itertools

    import nbtb.writer

    monkeypatch.setattr(nbtb.writer, "_file_counter", itertools.count(9))
    monkeypatch.setattr(nbtb.writer.time, "time", lambda: 1_700_000_000.25)
    with nbtb.SummaryWriter(tmp_path / "run") as first:
        for s in range(100):
            first.add_scalar("loss", 1.0, s)
    with nbtb.SummaryWriter(tmp_path / "run", purge_step=50) as second:
        for s in range(50, 60):
            second.add_scalar("loss", 2.0, s)
    monkeypatch.undo()
    logdir, _ = load_recording(tmp_path)
    assert pairs(logdir.scalars) == [(s, 1.0) for s in range(50)] + [(s, 2.0) for s in range(50, 60)]


@pytest.mark.parametrize("purge", [True, False])
def test_series_read_without_the_frame_equal_the_frames_slices(tmp_path, purge):
    """A dashboard draws a few series without building the scalars frame (Logdir.scalar_series and
    .tags work from the run's events); what it gets must be the frame's rows, purging included."""
    _restarted_run(tmp_path / "restarted")
    _session_restart(tmp_path / "session")
    write_scalars(tmp_path / "plain", 30)
    lazy = nbtb.load(tmp_path, purge=purge)
    series = {(run, tag): [a.copy() for a in lazy.scalar_series(run, tag)]
              for run in lazy.runs for tag in ("loss", "a", "b", "missing")}
    counted = lazy.tags  # before the frame exists: counted from the events
    assert "scalars" not in lazy._cache, "the frame was built: this test would compare it with itself"

    frame = load_recording(tmp_path, purge=purge)[0].scalars
    for (run, tag), (step, wall, value) in series.items():
        rows = frame[(frame["run"] == run) & (frame["tag"] == tag)]
        np.testing.assert_array_equal(step, rows["step"].to_numpy())
        np.testing.assert_array_equal(wall, rows["wall_time"].to_numpy())
        np.testing.assert_array_equal(value, rows["value"].to_numpy())
    want = frame.groupby(["run", "tag"], observed=True).size()
    got = counted[counted["kind"] == "scalars"].set_index(["run", "tag"])["count"]
    assert {(str(r), str(t)): int(c) for (r, t), c in want.items()} == \
        {(str(r), str(t)): int(c) for (r, t), c in got.items()}
    assert sum(len(s[0]) for s in series.values()) == len(frame) > 0
