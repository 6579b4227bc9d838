"""`nbtb.Profile`: one profile (a torch trace or an XSpace) as frames: events, threads, steps, memory.

Rules shared by every format (FORMATS.md §8, torch-tb-profiler's event_parser):
- `events` holds complete events only, sorted by (pid, tid, ts, -dur) so a parent precedes its
  children on its lane; `step` is the step whose (GPU-adjusted) span holds the event's start, -1 if none.
- `steps`: the host step markers (ProfilerStep#N; XPlane: events with a `step_num` stat). With GPU
  events, a step ends at the later of its host end and the end of the last GPU op it launched
  (kernel ↔ launching runtime call by `correlation`), and starts no earlier than the previous
  step's end; trailing steps that launched nothing on the GPU are dropped.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .categories import GPU_CATS, RUNTIME_CATS
from .trace import EVENT_COLUMNS, STEP_COLUMNS, THREAD_COLUMNS, Trace, empty_memory

if TYPE_CHECKING:
    from .overview import Overview

_CORRELATION = re.compile(rb'"correlation": (\d+)')


class Profile:
    """One profile: `.events`, `.threads`, `.steps`, `.memory` frames and `.overview()`.

    `.timeline` is `.events` without the `args` column, built when the file is read (args are kept
    as raw JSON and parsed for `.events` on first access, or one event at a time by `.event_args`).
    """

    def __init__(self, trace: Trace, *, run: str = "", session: str = "", host: str = "", path: str = "",
                 format: str = "") -> None:
        self.run, self.session, self.host, self.path, self.format = run, session, host, path, format
        self._trace = trace
        n = len(trace.name)
        ts, dur = trace.ts, trace.dur
        self._order = order = lane_order(trace.pid, trace.tid, ts, dur)
        # the timeline's name/cat as (codes, distinct values) when the reader had them (the widget
        # encodes these without hashing every string again)
        self.timeline_codes = {k: (codes[order], table) for k, (codes, table) in trace.codes.items()}
        names = np.array(trace.name, dtype=object)[order] if n else np.array([], dtype=object)
        cats = np.array(trace.cat, dtype=object)[order] if n else np.array([], dtype=object)
        self.steps = _steps(trace)
        start = ts[order]
        self._timeline = pd.DataFrame({
            "name": names,
            "cat": cats,
            "pid": trace.pid[order].astype(np.int64),
            "tid": trace.tid[order].astype(np.int64),
            "ts": start.astype(np.float64),
            "dur": dur[order].astype(np.float64),
            "step": _step_of(start, self.steps),
        })
        self.threads = _threads(trace, self._timeline)
        self.memory = trace.memory if trace.memory is not None else empty_memory()
        self._events: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return (f"<nbtb.Profile {self.format} run={self.run!r} session={self.session!r} host={self.host!r}: "
                f"{len(self._timeline)} events, {len(self.steps)} steps>")

    @property
    def timeline(self) -> pd.DataFrame:
        """`events` without `args` (cheap: what a timeline view needs)."""
        return self._timeline

    @property
    def events(self) -> pd.DataFrame:
        """Complete events: name, cat, pid, tid, ts, dur (µs), step, args (dict | None)."""
        if self._events is None:
            frame = self._timeline.copy()
            frame["args"] = pd.Series(self._all_args(), index=frame.index, dtype=object)
            self._events = frame[EVENT_COLUMNS]
        return self._events

    def event_args(self, row: int) -> dict | None:
        """The args of `events`/`timeline` row `row` (position), parsed on its own."""
        i = int(self._order[row])
        trace = self._trace
        if trace.args is not None:
            return trace.args[i]
        raw = trace.args_raw[i]
        return json.loads(raw) if raw else None

    def _all_args(self) -> list:
        trace = self._trace
        if trace.args is not None:
            values = trace.args
        else:
            # one json call for all of them: much faster than one per event
            values = json.loads(b"[" + b",".join([r or b"null" for r in trace.args_raw]) + b"]")
        return [values[i] for i in self._order.tolist()]

    def overview(self, top: int = 10) -> "Overview":
        """Step time breakdown, GPU utilisation, a verdict and the top ops (see overview.py)."""
        from .overview import overview

        return overview(self, top=top)


def lane_order(pid: np.ndarray, tid: np.ndarray, ts: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """Positions sorting events by (pid, tid, ts, -dur), stably: np.lexsort((-dur, ts, tid, pid)).

    That lexsort first sorts by -dur, a random order (~0.1 s on 650k events); sorting by (pid,
    tid, ts) alone is ~20x faster on a trace's nearly sorted times, and only the events that tie
    on all three then need ordering by -dur, within their tie."""
    order = np.lexsort((ts, tid, pid))
    if len(order) < 2:
        return order
    p, t, s = pid[order], tid[order], ts[order]
    same = (p[1:] == p[:-1]) & (t[1:] == t[:-1]) & (s[1:] == s[:-1])
    if not same.any():
        return order
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    group = np.cumsum(~np.concatenate([[False], same]))[tied]  # one id per tie, increasing
    pos = np.flatnonzero(tied)
    order[pos] = order[pos][np.lexsort((-dur[order[pos]], group))]
    return order


def _correlations(trace: Trace, idx: np.ndarray) -> np.ndarray:
    """The "correlation" arg of events `idx` (-1 where absent), read without parsing whole args."""
    out = np.full(len(idx), -1, dtype=np.int64)
    if not len(idx):
        return out
    if trace.correlation is not None:  # the fast path read them while scanning
        return trace.correlation[idx]
    if trace.args is not None:
        for k, i in enumerate(idx.tolist()):
            args = trace.args[i]
            # Kineto: "correlation"; XPlane: the "correlation_id" stat
            value = args.get("correlation", args.get("correlation_id")) if isinstance(args, dict) else None
            if isinstance(value, (int, float)):
                out[k] = int(value)
        return out
    # raw args: a regex search each (one pass over their joined text with a separator alternative
    # was 3x slower: the alternation defeats the regex's literal-prefix scan)
    search = _CORRELATION.search
    raw = trace.args_raw
    values = []
    for i in idx.tolist():
        m = search(raw[i]) if raw[i] else None
        values.append(int(m.group(1)) if m else -1)
    return np.array(values, dtype=np.int64)


def _steps(trace: Trace) -> pd.DataFrame:
    marks = sorted(trace.step_marks, key=lambda m: (m[1], m[0]))
    if not marks:
        return pd.DataFrame({"step": np.array([], np.int64), "start": np.array([], np.float64),
                             "end": np.array([], np.float64)})
    step = np.array([m[0] for m in marks], dtype=np.int64)
    start = np.array([m[1] for m in marks], dtype=np.float64)
    end = np.array([m[2] for m in marks], dtype=np.float64)
    # categories are few: compare codes, not 650k strings
    codes, distinct = trace.codes.get("cat") or pd.factorize(np.asarray(trace.cat, dtype=object))
    gpu = np.flatnonzero(np.isin(codes, [k for k, c in enumerate(distinct) if c in GPU_CATS]))
    if len(gpu):
        runtime = np.flatnonzero(np.isin(codes, [k for k, c in enumerate(distinct) if c in RUNTIME_CATS]))
        start, end, keep = _gpu_adjusted(trace, runtime, gpu, start, end)
        step, start, end = step[keep], start[keep], end[keep]
    return pd.DataFrame({"step": step, "start": start, "end": end})[STEP_COLUMNS]


def _gpu_adjusted(trace: Trace, runtime: np.ndarray, gpu: np.ndarray, start: np.ndarray, end: np.ndarray):
    """torch-tb-profiler's step bounds with a GPU (see the module docstring)."""
    n = len(start)
    # host step of each runtime call: the last step starting at or before it, if it ends after it
    r_ts = trace.ts[runtime]
    r_step = np.searchsorted(start, r_ts, side="right") - 1
    r_ok = (r_step >= 0) & (r_ts < end[np.clip(r_step, 0, n - 1)])
    g_step = _launch_steps(_correlations(trace, runtime[r_ok]), r_step[r_ok], _correlations(trace, gpu))
    # a GPU op without a known launch belongs to the step its start falls in (host bounds)
    lost = g_step < 0
    if lost.any():
        g_ts = trace.ts[gpu[lost]]
        s = np.searchsorted(start, g_ts, side="right") - 1
        g_step[lost] = np.where((s >= 0) & (g_ts < end[np.clip(s, 0, n - 1)]), s, -1)
    g_end = trace.ts[gpu] + trace.dur[gpu]
    last_gpu_end = np.full(n, -np.inf)
    ok = g_step >= 0
    np.maximum.at(last_gpu_end, g_step[ok], g_end[ok])
    new_end = np.maximum(end, last_gpu_end)
    new_start = start.copy()
    for i in range(1, n):
        new_start[i] = max(start[i], new_end[i - 1])
    has_gpu = np.isfinite(last_gpu_end)
    keep = np.ones(n, dtype=bool)
    if has_gpu.any():
        keep[np.flatnonzero(has_gpu)[-1] + 1:] = False  # trailing steps that launched nothing
    return new_start, new_end, keep


def _launch_steps(r_corr: np.ndarray, r_step: np.ndarray, g_corr: np.ndarray) -> np.ndarray:
    """The step of the runtime call with each GPU op's correlation (-1: none; -1 never matches;
    of runtime calls sharing a correlation the last wins, as in a dict built from them)."""
    known = r_corr != -1
    r_corr, r_step = r_corr[known][::-1], r_step[known][::-1]
    keys, first = np.unique(r_corr, return_index=True)  # first of the reversed = the last one
    at = np.clip(np.searchsorted(keys, g_corr), 0, max(len(keys) - 1, 0))
    if not len(keys):
        return np.full(len(g_corr), -1, dtype=np.int64)
    return np.where(keys[at] == g_corr, r_step[first][at], -1).astype(np.int64)


def _step_of(ts: np.ndarray, steps: pd.DataFrame) -> np.ndarray:
    if steps.empty or not len(ts):
        return np.full(len(ts), -1, dtype=np.int64)
    start = steps["start"].to_numpy()
    end = steps["end"].to_numpy()
    i = np.searchsorted(start, ts, side="right") - 1
    inside = (i >= 0) & (ts < end[np.clip(i, 0, len(start) - 1)])
    return np.where(inside, steps["step"].to_numpy()[np.clip(i, 0, len(start) - 1)], -1).astype(np.int64)


def _threads(trace: Trace, timeline: pd.DataFrame) -> pd.DataFrame:
    """One row per lane that has events; names from metadata, `sort` = the lane's rank (0 = top)."""
    lanes = timeline[["pid", "tid"]].drop_duplicates().itertuples(index=False, name=None)
    rows = []
    for pid, tid in lanes:
        process = trace.process_names.get(pid) or trace.id_names.get(pid) or str(pid)
        thread = trace.thread_names.get((pid, tid)) or trace.id_names.get(tid) or str(tid)
        key = (trace.process_sort.get(pid, pid), pid, trace.thread_sort.get((pid, tid), tid), tid)
        rows.append((key, pid, tid, process, thread))
    rows.sort(key=lambda r: r[0])
    return pd.DataFrame({
        "pid": np.array([r[1] for r in rows], dtype=np.int64),
        "tid": np.array([r[2] for r in rows], dtype=np.int64),
        "process": [r[3] for r in rows],
        "thread": [r[4] for r in rows],
        "sort": np.arange(len(rows), dtype=np.int64),
    })[THREAD_COLUMNS]
