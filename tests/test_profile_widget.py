"""The Profile tab's kernel side (nbtb/widgets/profile.py, docs/protocol.md "Profile tab"):
lanes, nesting depth and self time, the binary ``profile_reply`` and its split, args on demand,
and the catalog, on the committed real torch.profiler trace (tests/data/torch_profiler)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbtb.widgets.profile import (MAX_MESSAGE_BYTES, encode_profile, nesting_depth,
                                  overview_message, parents, profile_catalog, profile_replies,
                                  self_times)

TORCH = Path(__file__).parent / "data" / "torch_profiler"
DTYPES = {"f64": "<f8", "f32": "<f4", "u32": "<u4", "u16": "<u2", "u8": "u1"}


def stack_depth(lane, ts, dur):
    """Reference: a per-lane stack, popping what ended before each start (inputs sorted by
    lane, ts, -dur)."""
    out, stack, cur = [], [], None
    for ln, t, d in zip(lane, ts, dur):
        if ln != cur:
            stack, cur = [], ln
        while stack and stack[-1] <= t:
            stack.pop()
        out.append(len(stack))
        stack.append(t + d)
    return np.array(out)


def nested_trace(rng, n_lanes=3, roots=30):
    """Randomly nested spans (children inside parents, gaps between siblings), several lanes."""
    rows = []

    def spans(lane, t, end, depth):
        while t < end and depth < 6:
            d = rng.uniform(0, end - t)
            if rng.random() < 0.1:
                d = 0.0  # instants
            rows.append((lane, t, d))
            if d > 1 and rng.random() < 0.6:
                spans(lane, t + rng.uniform(0, d / 4), t + d, depth + 1)
            t += d + rng.uniform(0, 3)

    for lane in range(n_lanes):
        spans(lane, 0.0, 1000.0, 0)
    lane, ts, dur = map(np.array, zip(*rows))
    order = np.lexsort((-dur, ts, lane))
    return lane[order], ts[order], dur[order]


@pytest.mark.parametrize("seed", range(8))
def test_depth_equals_a_per_lane_stack_on_nested_spans(seed):
    lane, ts, dur = nested_trace(np.random.default_rng(seed))
    assert (nesting_depth(lane, ts, dur) == stack_depth(lane, ts, dur)).all()


def test_depth_of_zero_length_events_at_the_same_time():
    lane = np.array([0, 0, 0, 0])
    ts = np.array([0.0, 5.0, 5.0, 5.0])
    dur = np.array([10.0, 2.0, 0.0, 0.0])  # sorted by (ts, -dur): instants last
    assert nesting_depth(lane, ts, dur).tolist() == stack_depth(lane, ts, dur).tolist() == [0, 1, 2, 2]


def test_parents_and_self_time():
    #   A [0,100) > B [10,40) > C [15,20);  A > D [50,80);  E [200,210) alone; lane 1: F
    lane = np.array([0, 0, 0, 0, 0, 1])
    ts = np.array([0.0, 10, 15, 50, 200, 0])
    dur = np.array([100.0, 30, 5, 30, 10, 7])
    depth = nesting_depth(lane, ts, dur)
    assert depth.tolist() == [0, 1, 2, 1, 0, 0]
    par = parents(lane, depth)
    assert par.tolist() == [-1, 0, 1, 0, -1, -1]
    assert self_times(dur, par).tolist() == [40.0, 25.0, 5.0, 30.0, 10.0, 7.0]


class FakeProfile:
    """A profile by hand, shaped like nbtb.Profile (for the split and ordering checks only)."""

    def __init__(self, n: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.events = pd.DataFrame({
            "name": [f"op{i % 97}" for i in range(n)], "cat": ["cpu_op"] * n,
            "pid": rng.integers(0, 2, n), "tid": rng.integers(0, 3, n),
            "ts": np.sort(rng.uniform(1e6, 2e6, n)), "dur": rng.uniform(0, 0.5, n),
            "step": -1, "args": [None] * n})
        self.threads = pd.DataFrame({"pid": [0, 1], "tid": [0, 0], "process": ["proc0", "proc1"],
                                     "thread": ["main", "main"], "sort": [1, 0]})
        self.steps = pd.DataFrame({"step": [1], "start": [1e6], "end": [2e6]})
        self.memory = pd.DataFrame({"ts": [1e6, 1.5e6], "allocated": [0.0, 1024.0],
                                    "reserved": [2048.0, 2048.0], "device": [0, 0]})

    def overview(self):
        raise RuntimeError("no overview for a hand-made profile")


def decode(messages):
    """What js/profile/wire.ts does: every column, filled from its slices."""
    messages = [m for m in messages if m[0]["kind"] == "profile_reply"]
    head = messages[0][0]
    cols = {k: np.zeros(c["n"], DTYPES[c["dtype"]]) for k, c in head["columns"].items()}
    for msg, bufs in messages:
        assert msg["kind"] == "profile_reply" and msg["parts"] == len(messages)
        assert len(msg["buffers"]) == len(bufs)
        for s, b in zip(msg["buffers"], bufs):
            arr = np.frombuffer(bytes(b), DTYPES[s["dtype"]])
            assert len(arr) == s["n"]
            cols[s["column"]][s["offset"]:s["offset"] + s["n"]] = arr
    return head, cols


def test_reply_is_split_under_the_limit_and_reassembles():
    prof = FakeProfile(50_000)
    enc = encode_profile(prof, "r", "s")
    limit = 64 * 1024
    messages = profile_replies(3, enc, limit=limit)
    assert len(messages) > 10
    for msg, bufs in messages:
        assert sum(len(bytes(b)) for b in bufs) <= limit
    head, cols = decode(messages)
    for name, arr in enc.columns.items():
        assert np.array_equal(cols[name], arr), name
    [(ov, _)] = [overview_message(3, enc)]
    assert ov["overview"]["error"].startswith("RuntimeError")  # reported, timeline still sent
    # lanes follow the threads' sort index: proc1 (sort 0) before proc0 (sort 1)
    assert [ln["process"] for ln in head["lanes"]][:3] == ["proc1"] * 3
    # drawing order: lane, depth, start
    key = np.lexsort((cols["start"], cols["depth"], cols["lane"]))
    assert (key == np.arange(len(key))).all()
    assert head["memory"]["max_reserved"] == 2048.0
    assert MAX_MESSAGE_BYTES == 4 * 1024 * 1024


def test_memory_of_several_devices_is_summed_level_by_level():
    prof = FakeProfile(10)
    prof.memory = pd.DataFrame({"ts": [1e6, 1e6 + 1, 1e6 + 2, 1e6 + 3],
                                "allocated": [100.0, 5.0, 300.0, 7.0], "reserved": [0.0] * 4,
                                "device": ["cuda:0", "cpu", "cuda:0", "cpu"]})
    enc = encode_profile(prof, "r", "s")
    assert enc.columns["mem_allocated"].tolist() == [100.0, 105.0, 305.0, 307.0]
    assert enc.header["memory"]["devices"] == ["cpu", "cuda:0"]


# -- the real torch.profiler trace, through the loader -------------------------------------------
@pytest.fixture(scope="module")
def torch_logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("prof") / "logs"
    shutil.copytree(TORCH, root)
    return root


@pytest.fixture(scope="module")
def dash(torch_logdir):
    from nbtb.widgets.dashboard import Dashboard

    d = Dashboard(str(torch_logdir), reload_interval=0)
    sent = []
    d.send = lambda msg, buffers=None: sent.append((msg, buffers or []))  # what the browser gets
    d.sent = sent
    return d


def ask(dash, **req):
    dash.sent.clear()
    dash._on_msg(dash, req, [])
    return list(dash.sent)


def test_catalog_lists_the_profile_without_parsing(dash, torch_logdir):
    import nbtb

    lg = nbtb.load(str(torch_logdir))
    cat = profile_catalog(lg)["profile"]
    runs = sorted({r for rs in cat.values() for r in rs})
    assert runs == sorted(set(lg.profiles["run"].astype(str)))
    assert dash.catalog["profile"] == cat


def test_reply_carries_every_event_of_the_real_trace(dash, torch_logdir):
    import nbtb

    [(session, [run])] = list(dash.catalog["profile"].items())
    prof = nbtb.load(str(torch_logdir)).profile(run, session=session or None)
    messages = ask(dash, kind="profile_request", request_id=11, run=run, session=session)
    head, cols = decode(messages)
    assert head["request_id"] == 11 and head["error"] is None
    ev = prof.events
    assert head["n"] == len(ev) > 500
    t0 = head["t0"]
    assert t0 == pytest.approx(ev["ts"].min())
    # the same events: (name, start, dur) as multisets
    got = sorted(zip([head["names"][i] for i in cols["name"]], np.round(cols["start"] + t0, 3),
                     np.round(cols["dur"], 3)))
    want = sorted(zip(ev["name"].astype(str), np.round(ev["ts"].to_numpy(float), 3),
                      np.round(ev["dur"].to_numpy(float), 3)))
    assert got == want
    # every nested event lies inside an event one level up in its lane
    start, end = cols["start"], cols["start"] + cols["dur"]
    for i in np.flatnonzero(cols["depth"] > 0):
        up = (cols["lane"] == cols["lane"][i]) & (cols["depth"] == cols["depth"][i] - 1)
        assert ((start[up] <= start[i] + 1e-3) & (end[up] >= end[i] - 1e-3)).any(), i
    # self time never exceeds duration, and the ProfilerStep spans show up as steps
    assert (cols["self"] <= cols["dur"].astype(np.float32) + 1e-3).all()
    step_names = {n for n in head["names"] if n.startswith("ProfilerStep#")}
    assert {f"ProfilerStep#{s['step']}" for s in head["steps"]} == step_names
    assert head["lanes"]
    for i, ln in enumerate(head["lanes"]):  # rows each lane needs
        assert ln["depth"] == cols["depth"][cols["lane"] == i].max() + 1
    # the overview is not computed for the columns: the browser asks for it once they are drawn
    assert all(m["kind"] == "profile_reply" for m, _ in messages) and head["overview"] is None
    [(ov, bufs)] = ask(dash, kind="profile_overview_request", request_id=11, run=run, session=session)
    assert ov["kind"] == "profile_overview" and ov["request_id"] == 11 and not bufs
    assert ov["overview"] == prof.overview().to_dict()
    # a cached profile carries it in the header
    head, _ = decode(ask(dash, kind="profile_request", request_id=12, run=run, session=session))
    assert head["overview"] == ov["overview"]


def test_args_on_demand(dash, torch_logdir):
    [(session, [run])] = list(dash.catalog["profile"].items())
    head, cols = decode(ask(dash, kind="profile_request", request_id=1, run=run, session=session))
    i = int(np.argmax(cols["dur"]))
    [(reply, bufs)] = ask(dash, kind="profile_args_request", request_id=2, run=run, session=session,
                          index=i)
    assert reply["kind"] == "profile_args_reply" and reply["request_id"] == 2 and not bufs
    assert reply["name"] == head["names"][cols["name"][i]]
    assert reply["dur"] == pytest.approx(cols["dur"][i])
    [(bad, _)] = ask(dash, kind="profile_args_request", request_id=3, run=run, session=session,
                     index=10**9)
    assert "IndexError" in bad["error"]


def test_unknown_profile_is_an_error_reply_not_a_hang(dash):
    [(reply, bufs)] = ask(dash, kind="profile_request", request_id=5, run="nope", session="x")
    assert reply["request_id"] == 5 and reply["parts"] == 1 and reply["error"] and not bufs
    [(reply, bufs)] = ask(dash, kind="profile_overview_request", request_id=6, run="nope", session="x")
    assert reply["kind"] == "profile_overview" and reply["request_id"] == 6 and reply["overview"]["error"]


def test_profile_view_opens_the_first_profile_and_names_missing_ones(torch_logdir):
    import nbtb

    view = nbtb.ProfileView(str(torch_logdir))
    [(session, [run])] = list(view.catalog["profile"].items())
    assert (view.tab, view.panel) == ("profile", "profile")
    assert (view.profile_run, view.profile_session) == (run, session)
    with pytest.raises(ValueError, match="no profile for run='other'"):
        nbtb.ProfileView(str(torch_logdir), run="other")


def test_a_profile_without_events_still_replies():
    prof = FakeProfile(0)
    prof.memory = prof.memory.iloc[:0]
    enc = encode_profile(prof, "r", "s")
    head, cols = decode(profile_replies(1, enc))
    assert head["n"] == 0 and head["lanes"] == [] and head["error"] is None
    assert all(len(cols[c]) == 0 for c in ("start", "dur", "self", "lane", "depth", "name", "cat"))


def test_a_failing_profile_listing_is_reported_not_hidden(tmp_path, monkeypatch):
    """The dashboard still opens, without a Profile tab, and its status line says why."""
    import nbtb
    from nbtb.logdir import Logdir
    from nbtb.widgets.dashboard import Dashboard

    with nbtb.SummaryWriter(str(tmp_path / "run")) as w:
        w.add_scalar("loss", 1.0, 0)

    def broken(self):
        raise PermissionError("plugins/profile: permission denied")

    monkeypatch.setattr(Logdir, "profiles", property(broken))
    dash = Dashboard(str(tmp_path), reload_interval=0)
    try:
        assert dash.catalog["profile"] == {} and dash.catalog["scalars"]
        assert "profiles could not be listed" in dash.status and "permission denied" in dash.status
    finally:
        dash.close()


def test_profile_view_reads_its_profile_before_the_browser_asks(torch_logdir, monkeypatch):
    import threading

    import nbtb

    # the read does not need the widget's lock (displaying the widget takes it)
    constructed = threading.Event()
    real_profile = nbtb.Logdir.profile
    monkeypatch.setattr(nbtb.Logdir, "profile", lambda *a, **k: constructed.wait(10) and real_profile(*a, **k))
    view = nbtb.ProfileView(str(torch_logdir))
    with view._lock:  # held here (as the display does) while the prefetch reads: it still finishes
        constructed.set()
        view._profile_prefetch.join(30)
        assert not view._profile_prefetch.is_alive()
    monkeypatch.setattr(nbtb.Logdir, "profile", real_profile)
    reads = []
    real = view._source.profile
    monkeypatch.setattr(view._source, "profile", lambda *a, **k: reads.append(a) or real(*a, **k))
    sent = []
    view.send = lambda msg, buffers=None: sent.append((msg, buffers or []))
    view._on_msg(view, {"kind": "profile_request", "request_id": 4, "run": view.profile_run,
                        "session": view.profile_session}, [])
    head, cols = decode(sent)
    assert head["error"] is None and head["n"] == len(cols["start"]) > 500
    assert reads == []  # answered from what the view read ahead


def test_a_request_during_the_prefetch_waits_for_it_instead_of_reading_again(torch_logdir, monkeypatch):
    import threading

    import nbtb

    go = threading.Event()
    reads = []
    real_profile = nbtb.Logdir.profile

    def slow_profile(*a, **k):
        reads.append(a[1:])
        go.wait(10)
        return real_profile(*a, **k)

    monkeypatch.setattr(nbtb.Logdir, "profile", slow_profile)
    view = nbtb.ProfileView(str(torch_logdir))
    sent = []
    view.send = lambda msg, buffers=None: sent.append((msg, buffers or []))
    threading.Timer(0.3, go.set).start()  # the read finishes while the request waits
    view._on_msg(view, {"kind": "profile_request", "request_id": 7, "run": view.profile_run,
                        "session": view.profile_session}, [])
    head, cols = decode(sent)
    assert head["error"] is None and head["n"] > 500 and len(reads) == 1
