"""The Kineto reader's parallel path (nbtb/profiles/kineto_parallel.py): pieces scanned in forked
processes must give exactly what one process gives, and a child that fails must not matter."""

from __future__ import annotations

import gzip
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import pytest

from nbtb.profiles import kineto_parallel
from nbtb.profiles.kineto_fast import parse_kineto_layout
from nbtb.profiles.profile import Profile
from nbtb.profiles.torch_trace import parse_json, parse_trace_json
from nbtb.profiles.trace import RawArgs

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench"))
from make_trace import main as make_trace  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory):
    """A bench-style GPU training trace (Kineto layout: steps, kernels, memory, flows, Spans)."""
    return make_trace([str(tmp_path_factory.mktemp("trace")), "--events", "30000"])


@pytest.fixture(scope="module")
def text(trace_file):
    return gzip.decompress(open(trace_file, "rb").read())


@pytest.fixture(scope="module")
def single(text):
    trace = parse_kineto_layout(text)  # one process, one piece
    assert trace is not None
    return trace


def assert_same(a, b) -> None:
    """Two traces equal column by column, and as the Profile frames built from them."""
    assert a.name == b.name and a.cat == b.cat
    for col in ("pid", "tid", "ts", "dur", "correlation"):
        np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    assert list(a.args_raw) == list(b.args_raw)
    assert (a.process_names, a.thread_names, a.process_sort, a.thread_sort, a.id_names, a.step_marks) == \
        (b.process_names, b.thread_names, b.process_sort, b.thread_sort, b.id_names, b.step_marks)
    pd.testing.assert_frame_equal(a.memory, b.memory)
    pa, pb = Profile(a), Profile(b)
    for frame in ("events", "steps", "threads", "memory"):
        pd.testing.assert_frame_equal(getattr(pa, frame), getattr(pb, frame))


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_pieces_scanned_in_processes_equal_one_process(text, single, workers, monkeypatch):
    calls = []
    real = kineto_parallel.scan_piece
    monkeypatch.setattr(kineto_parallel, "scan_piece", lambda *a: calls.append(a) or real(*a))
    got = kineto_parallel.parse_kineto_text(text, workers=workers)
    assert got is not None
    # this process scanned only its own group (in small pieces): every child delivered
    own = kineto_parallel.split([(text, 0, len(text))], workers, kineto_parallel.FIRST_SHARE)[0]
    assert sum(b - a for _, a, b in calls) == sum(b - a for _, a, b in own)
    assert_same(got, single)


def test_the_one_process_path_equals_plain_json(text, single, trace_file):
    """...and both equal the json reader (so the parallel one does too, by the test above)."""
    ref = parse_json(text, trace_file)
    assert single.name == ref.name and single.cat == ref.cat
    np.testing.assert_array_equal(single.ts, ref.ts)
    assert [json.loads(r) if r else None for r in single.args_raw] == ref.args
    assert single.step_marks == ref.step_marks
    pd.testing.assert_frame_equal(single.memory, ref.memory)
    # correlations read while scanning = those the json path finds in the parsed args
    corr = [a.get("correlation", -1) if a else -1 for a in ref.args]
    np.testing.assert_array_equal(single.correlation, corr)
    pd.testing.assert_frame_equal(Profile(single).steps, Profile(ref).steps)


def test_split_cuts_at_event_starts_into_even_groups(text):
    groups = kineto_parallel.split([(text, 0, len(text))], 4)
    ranges = [r for g in groups for r in g]
    assert len(groups) == 4 and ranges[0][1] == 0 and ranges[-1][2] == len(text)
    assert all(a[2] == b[1] for a, b in zip(ranges, ranges[1:]))
    assert all(text.startswith(b'\n  {\n    "ph": "', a) for _, a, _ in ranges[1:])
    sizes = [sum(b - a for _, a, b in g) for g in groups]
    assert max(sizes) - min(sizes) < len(text) // 20
    # the first group can be given a larger share (this process's, against each child's)
    sizes = [sum(b - a for _, a, b in g) for g in kineto_parallel.split([(text, 0, len(text))], 3, first=2.0)]
    assert abs(sizes[0] / len(text) - 0.5) < 0.05 and abs(sizes[1] - sizes[2]) < len(text) // 20
    # ranges already cut (as the chunks of a stream are) are shared the same way
    chunks = [r for g in kineto_parallel.split([(text, 0, len(text))], 7) for r in g]
    groups = kineto_parallel.split(chunks, 3)
    assert [r for g in groups for r in g][0][1] == 0 and len(groups) == 3
    assert sum(b - a for g in groups for _, a, b in g) == len(text)


@pytest.mark.parametrize("arrived", [0, 3, 1000])
def test_a_stream_scanned_here_then_in_processes_equals_one_process(text, single, arrived):
    """Chunks scanned here while they arrive, the rest shared out once all are there."""
    chunks = [text[i:i + (256 << 10)] for i in range(0, len(text), 256 << 10)]
    taken = []

    def stream():
        for c in chunks:
            taken.append(c)
            yield c

    got = kineto_parallel.parse_kineto_stream(stream(), lambda: len(taken) > arrived, workers=2)
    assert got is not None
    assert_same(got, single)


def _raises(*_):
    raise RuntimeError("worker broke")


def _dies(*_):
    os._exit(3)


def _lies(*_):
    return "not a piece"


def _hangs(*_):
    time.sleep(60)


@pytest.mark.parametrize("failure", [_raises, _dies, _lies, _hangs])
def test_a_failing_worker_falls_back_to_this_process(text, single, failure, monkeypatch):
    monkeypatch.setattr(kineto_parallel, "_child_scan", failure)  # what the forked children run
    monkeypatch.setattr(kineto_parallel, "GRACE_S", 1.0)
    t = time.perf_counter()
    got = kineto_parallel.parse_kineto_text(text, workers=3)
    assert time.perf_counter() - t < 30  # a hung child is killed, not waited for
    assert got is not None
    assert_same(got, single)


def test_no_children_are_left_behind(text, monkeypatch):
    """Every child the scan forked has been reaped when it returns. (Only its own children are
    checked: other tests may keep a server process alive meanwhile.)"""
    forked = []
    real_fork = os.fork

    def recording_fork():
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    kineto_parallel.parse_kineto_text(text, workers=3)
    assert len(forked) == 2  # three groups: two children and this process
    for pid in forked:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped already: no such child any more


def test_a_large_gzipped_trace_takes_the_parallel_path(trace_file, single, monkeypatch):
    monkeypatch.setattr(kineto_parallel, "worker_count", lambda size: 2)
    seen = []
    real = kineto_parallel.parse_kineto_stream
    monkeypatch.setattr(kineto_parallel, "parse_kineto_stream", lambda *a: seen.append(a[2]) or real(*a))
    got = parse_trace_json(open(trace_file, "rb").read(), trace_file)  # returns: the stream is drained once
    assert seen == [2]
    assert_same(got, single)


def test_a_layout_deviation_in_a_child_piece_still_means_json(text, trace_file):
    """The strict check holds per piece: a bad event in the last piece sends all to json."""
    at = text.index(b'\n  {\n    "ph": "X"', len(text) * 9 // 10)
    bad = text[:at] + text[at:].replace(b'\n  {\n    "ph": "X"', b'\n  {"ph": "X"', 1)
    assert kineto_parallel.parse_kineto_text(bad, workers=2) is None
    got = parse_trace_json(bad, trace_file)  # still read, by json
    assert len(got.name) == len(parse_json(text, trace_file).name) and got.args is not None


def test_worker_count_keeps_small_texts_in_one_process():
    assert kineto_parallel.worker_count(1 << 20) == 1
    assert 1 <= kineto_parallel.worker_count(1 << 30) <= kineto_parallel.MAX_WORKERS


def test_raw_args_slices_one_buffer():
    args = RawArgs(b'{"a": 1}{"b": 2}', np.array([8, 8, 16]))
    assert len(args) == 3 and list(args) == [b'{"a": 1}', b"", b'{"b": 2}']
    assert args[2] == b'{"b": 2}' and args[-1] == b'{"b": 2}' and args[0:2] == [b'{"a": 1}', b""]


def test_lane_order_is_the_stable_lexsort_it_replaces():
    from nbtb.profiles.profile import lane_order

    rng = np.random.default_rng(0)
    for n in [0, 1, 2, 7, 300, 5000]:
        for _ in range(20):  # few distinct values: many ties on every key
            pid, tid = rng.integers(0, 3, n), rng.integers(-2, 3, n)
            ts, dur = rng.integers(0, 30, n).astype(float), rng.integers(0, 4, n).astype(float)
            np.testing.assert_array_equal(lane_order(pid, tid, ts, dur), np.lexsort((-dur, ts, tid, pid)))


def test_launch_steps_is_the_dict_lookup_it_replaces():
    from nbtb.profiles.profile import _launch_steps

    rng = np.random.default_rng(1)
    for n in [0, 1, 5, 200]:
        for _ in range(20):
            r_corr, r_step = rng.integers(-1, 30, n), rng.integers(0, 9, n)
            g_corr = rng.integers(-1, 40, n + 3)
            launched_in = dict(zip(r_corr.tolist(), r_step.tolist()))
            launched_in.pop(-1, None)
            want = [launched_in.get(c, -1) for c in g_corr.tolist()]
            np.testing.assert_array_equal(_launch_steps(r_corr, r_step, g_corr), want)
