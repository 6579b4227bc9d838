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
    assert len(calls) == 1  # this process scanned only its own piece: every child delivered
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


def test_cut_pieces_start_at_event_starts(text):
    ranges = kineto_parallel.cut(text, 4)
    assert len(ranges) == 4 and ranges[0][0] == 0 and ranges[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(text.startswith(b'\n  {\n    "ph": "', a) for a, _ in ranges[1:])


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


def test_no_children_are_left_behind(text):
    kineto_parallel.parse_kineto_text(text, workers=3)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every child was reaped


def test_a_large_gzipped_trace_takes_the_parallel_path(trace_file, single, monkeypatch):
    monkeypatch.setattr(kineto_parallel, "worker_count", lambda size: 2)
    seen = []
    real = kineto_parallel.scan_parallel
    monkeypatch.setattr(kineto_parallel, "scan_parallel", lambda *a: seen.append(a[1]) or real(*a))
    got = parse_trace_json(open(trace_file, "rb").read(), trace_file)
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
