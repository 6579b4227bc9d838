"""A logdir: run discovery, incremental reading, and the tidy frames users see.

files → records (records.py) → events (bulk.py, events.py) → frames (here). Each event file is
read from where the last read stopped, so `refresh()` costs only what was appended. Frames are
built on first access and cached until a refresh brings new data of their kind.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Union

import numpy as np
import pandas as pd

from . import graphs as _graphs
from . import records
from .events import RunEvents, decode_deferred, read_records
from .frames import DEFERRED_KINDS, EMPTY_SCALARS, build_frame, rows_frame, scalar_frame_for, scalar_series
from .storage import LocalStorage, Storage, storage_for

Selector = Union[None, str, Iterable[str], "re.Pattern[str]"]


class DataLossWarning(UserWarning):
    """An event file held damaged or foreign bytes; the intact records around them were read."""


def matcher(selector: Selector):
    """A predicate on names: None = all, a str = that name, a list = those names, a regex = search."""
    if selector is None:
        return lambda name: True
    if isinstance(selector, re.Pattern):
        return lambda name: selector.search(name) is not None
    if isinstance(selector, str):
        return lambda name: name == selector
    wanted = set(selector)
    return lambda name: name in wanted


@dataclass
class _FileState:
    path: str
    offset: int = 0
    resyncing: bool = False
    warned: bool = False


@dataclass
class _Run:
    name: str
    files: dict[str, _FileState] = field(default_factory=dict)
    events: RunEvents = field(default_factory=RunEvents)
    # tag code -> step of its latest record; None until a refresh first needs it
    last_step: dict[int, int] | None = None
    seen_starts: int = 0


@dataclass
class Refresh:
    """What one `Logdir.refresh()` brought."""

    new_runs: list[str] = field(default_factory=list)
    new_files: list[str] = field(default_factory=list)
    records: int = 0
    scalars: pd.DataFrame = field(default_factory=lambda: EMPTY_SCALARS.copy())
    reset: set[tuple[str, str]] = field(default_factory=set)
    damaged: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.new_runs or self.new_files or self.records)


class Logdir:
    """Everything a TensorBoard logdir holds, as pandas frames. Make one with `nbtb.load`."""

    def __init__(self, path: str | os.PathLike, *, run: Selector = None, tag: Selector = None,
                 purge: bool = True, storage_options: dict | None = None) -> None:
        self.path = os.fspath(path)
        self.purge = purge
        self._storage: Storage = storage_for(self.path, **(storage_options or {}))
        if not self._storage.exists(self.path):
            raise FileNotFoundError(f"logdir not found: {self.path}")
        self._want_run = matcher(run)
        self._want_tag = matcher(tag)
        self._runs: dict[str, _Run] = {}
        self._cache: dict[str, pd.DataFrame] = {}
        self._series_index: tuple[pd.DataFrame, dict] | None = None
        self._series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._loaded = False
        self._lock = threading.RLock()  # a dashboard's reload thread refreshes while the user reads frames
        self.refresh()
        self._loaded = True

    def __repr__(self) -> str:
        return f"<nbtb.Logdir {self.path!r}: {len(self._runs)} runs>"

    # ---- reading -------------------------------------------------------------------------
    @property
    def runs(self) -> list[str]:
        return sorted(self._runs)

    def refresh(self) -> Refresh:
        """Read what was appended since the last read, and any new files and runs."""
        with self._lock:
            return self._refresh()

    def _refresh(self) -> Refresh:
        result = Refresh()
        root = self.path
        storage = self._storage
        by_run: dict[str, list[str]] = {}
        for path in storage.event_files(root):
            name = storage.relpath(storage.dirname(path), root)
            if self._want_run(name):
                by_run.setdefault(name, []).append(path)
        for name, paths in by_run.items():
            run = self._runs.get(name)
            if run is None:
                run = self._runs[name] = _Run(name)
                result.new_runs.append(name)
            for path in sorted(paths, key=_file_order):
                if path not in run.files:
                    run.files[path] = _FileState(path)
                    result.new_files.append(path)
        work = [run for run in self._runs.values() if run.files]
        damage: list[tuple[str, int, str]] = []
        seq_before = {run.name: run.events.next_seq for run in work}
        starts_before = {run.name: len(run.events.starts) for run in work}
        if len(work) > 1:
            with ThreadPoolExecutor(max_workers=min(len(work), os.cpu_count() or 1)) as pool:
                for found in pool.map(self._read_run, work):
                    damage.extend(found)
        else:
            for run in work:
                damage.extend(self._read_run(run))
        for path, offset, what in damage:
            result.damaged.append(path)
            warnings.warn(f"{path}: {what} at byte {offset}; the intact records around it were read",
                          DataLossWarning, stacklevel=3)
        result.records = sum(run.events.next_seq - seq_before[run.name] for run in work)
        if result.records or result.new_runs:
            self._cache.clear()
            self._series.clear()
            if self._loaded:  # the first read has nothing to compare with: skip the work
                result.scalars, result.reset = self._new_scalars(work, seq_before, starts_before)
        return result

    def grew(self) -> bool:
        """Whether a known file has bytes not read yet: one stat per file, no reading.

        Lets a dashboard notice a flush by any writer in any process (torch's, Keras', a script)
        within a fraction of a second, while full refreshes (which also look for new files) keep
        their interval. Remote logdirs answer False (a stat there is a network round trip).
        """
        if not isinstance(self._storage, LocalStorage):
            return False
        for run in list(self._runs.values()):
            for state in list(run.files.values()):
                if not state.resyncing and self._storage.size(state.path) > state.offset:
                    return True
        return False

    def _read_run(self, run: _Run) -> list[tuple[str, int, str]]:
        damage = []
        for state in run.files.values():
            size = self._storage.size(state.path)
            if size <= state.offset:
                continue
            buf = self._storage.read_from(state.path, state.offset)
            framing = records.frame(buf, resyncing=state.resyncing, verify=False)
            problems = framing.damage + read_records(run.events, buf, framing, state.path, state.offset,
                                                     keep_payloads=self._storage.keeps_payloads)
            if problems and not state.warned:
                state.warned = True  # one warning per damaged file
                offset, what = min(problems)
                damage.append((state.path, state.offset + offset, what))
            state.offset += framing.end
            state.resyncing = framing.resyncing
        return damage

    def _new_scalars(self, work, seq_before, starts_before):
        """Scalar rows this refresh added, and the series that lost earlier points (to resend whole)."""
        frames = []
        reset: set[tuple[str, str]] = set()
        for run in work:
            first_new = seq_before[run.name]
            new = scalar_frame_for(run.name, run.events, self.purge, self._want_tag, since_seq=first_new)
            if new.empty and len(run.events.starts) == starts_before[run.name]:
                continue
            ev = run.events
            if run.last_step is None:
                run.last_step = _latest_steps(ev, before_seq=first_new)
            restarts = ev.starts[max(1, starts_before[run.name]):] if self.purge else []
            for tag, group in new.groupby("tag", observed=True, sort=False):
                code = ev.tag_codes[tag]
                last = run.last_step.get(code)
                if self.purge and last is not None and int(group["step"].min()) <= last:
                    reset.add((run.name, tag))
                run.last_step[code] = int(group["step"].iloc[-1])
            for _, restart_step in restarts:
                for code, last in run.last_step.items():
                    if last >= restart_step:
                        reset.add((run.name, ev.tag_names[code]))
            frames.append(new)
        if not frames:
            return EMPTY_SCALARS.copy(), reset
        return pd.concat(frames, ignore_index=True), reset

    # ---- frames ----------------------------------------------------------------------------
    def _frame(self, kind: str) -> pd.DataFrame:
        with self._lock:
            frame = self._cache.get(kind)
            if frame is None:
                if kind in DEFERRED_KINDS:
                    self._decode_deferred()
                runs = {name: self._runs[name].events for name in self.runs}
                frame = self._cache[kind] = build_frame(kind, runs, self.purge, self._want_tag, self._cache)
            return frame

    def _decode_deferred(self, kind: str | None = None, tag: str | None = None,
                         runs: Iterable[str] | None = None) -> None:
        for name in self._runs if runs is None else runs:
            run = self._runs.get(name)
            if run is None or not run.events.deferred:
                continue
            for path, offset, what in decode_deferred(run.events, kind, tag, self._storage.read_ranges):
                state = run.files.get(path)
                if state is not None and not state.warned:
                    state.warned = True
                    warnings.warn(f"{path}: {what} at byte {offset}; the intact records around it were read",
                                  DataLossWarning, stacklevel=3)

    def rows_for(self, kind: str, tag: str, runs: Iterable[str]) -> pd.DataFrame:
        """The rows of one tag of `kind` (histograms, images, audio, text) for some runs.

        Equal to filtering the kind's frame, but until that frame is built only these runs'
        records of this tag are decoded: a dashboard card does not pay for the whole logdir.
        """
        runs = [r for r in runs if r in self._runs]
        with self._lock:
            frame = self._cache.get(kind)
            if frame is not None:
                return frame[(frame["tag"] == tag) & frame["run"].isin(runs)].reset_index(drop=True)
            if kind in DEFERRED_KINDS:
                self._decode_deferred(kind, tag, runs)
            wanted = {name: self._runs[name].events for name in runs}
            return rows_frame(kind, wanted, self.purge, lambda t: t == tag and self._want_tag(t))

    @property
    def scalars(self) -> pd.DataFrame:
        # A shallow copy: the frame's arrays are also the loader's storage (frames._scalars), and
        # pandas' copy-on-write gives an edit of this frame its own copy instead of changing them.
        return self._frame("scalars").copy(deep=False)

    @property
    def histograms(self) -> pd.DataFrame:
        return self._frame("histograms")

    @property
    def images(self) -> pd.DataFrame:
        return self._frame("images")

    @property
    def audio(self) -> pd.DataFrame:
        return self._frame("audio")

    @property
    def text(self) -> pd.DataFrame:
        return self._frame("text")

    @property
    def tensors(self) -> pd.DataFrame:
        return self._frame("tensors")

    @property
    def hparams(self) -> pd.DataFrame:
        return self._frame("hparams")

    @property
    def tags(self) -> pd.DataFrame:
        return self._frame("tags")

    @property
    def graphs(self) -> pd.DataFrame:
        """The graphs each run holds: `run, kind, tag, nodes` (nbtb/graphs.py; unreadable ones are warned about)."""
        with self._lock:
            frame = self._cache.get("graphs")
            if frame is None:
                rows = []
                for name in self.runs:
                    listed = _graphs.sources(self._runs[name].events)
                    run_graph = next((s for s in listed if s.origin == "graph_def"), None)
                    for source in listed:
                        try:
                            rows.append((name, source.kind, source.tag, _graphs.count_nodes(source, run_graph)))
                        except ValueError as exc:
                            warnings.warn(f"run {name!r}: {exc}", DataLossWarning, stacklevel=2)
                frame = self._cache["graphs"] = pd.DataFrame(rows, columns=_graphs.LIST_COLUMNS).astype(
                    {"run": object, "kind": object, "tag": object, "nodes": np.int64})
            return frame

    def graph(self, run: str, kind: str | None = None, tag: str | None = None) -> "_graphs.Graph":
        """One run's graph as node and edge frames (nbtb.Graph).

        With no `kind`, the op graph when it has nodes, else the Keras conceptual graph (Keras 3
        often logs only that). `tag` picks among several (a RunMetadata tag, a Keras summary tag;
        "" is the run's GraphDef). A run without such a graph, or whose graph is damaged, raises
        LookupError naming the run and the runs that do have graphs.
        """
        if kind not in (None, "op", "keras"):
            raise ValueError(f"kind must be 'op' or 'keras', not {kind!r}")
        with self._lock:
            listed = _graphs.sources(self._runs[run].events) if run in self._runs else []
        run_graph = next((s for s in listed if s.origin == "graph_def"), None)
        wanted = [s for s in listed if (kind is None or s.kind == kind) and (tag is None or s.tag == tag)]
        if kind is None and tag is None and wanted:
            # The GraphDef first, then RunMetadata graphs, then Keras; the first with nodes wins.
            ops = [s for s in wanted if s.kind == "op"]
            keras = [s for s in wanted if s.kind == "keras"]
            wanted = ops + keras
            for source in ops:
                try:
                    if _graphs.count_nodes(source, run_graph):
                        wanted = [source]
                        break
                except ValueError:
                    continue
            else:
                wanted = keras[:1] or ops[:1]
        if not wanted:
            what = " ".join(filter(None, [kind and f"kind={kind!r}", tag is not None and f"tag={tag!r}"]))
            raise LookupError(f"run {run!r} has no graph{' with ' + what if what else ''}; "
                              f"runs with graphs: {self._runs_with_graphs()}")
        try:
            return _graphs.load(run, wanted[0], run_graph)
        except ValueError as exc:
            raise LookupError(f"run {run!r}: {exc}; runs with graphs: {self._runs_with_graphs()}") from exc

    def _runs_with_graphs(self) -> str:
        having = sorted(set(self.graphs["run"]))
        return repr(having) if having else "none"

    # ---- profiles (nbtb/profiles/) ----------------------------------------------------------
    @property
    def profiles(self) -> pd.DataFrame:
        """Every profiler trace under the logdir: run, session, host, path, format (pytorch | xplane |
        trace_json), sessions oldest → newest. Listed afresh on each access (profiles appear late)."""
        from .profiles import discover

        frame = discover(self._storage, self.path)
        # astype(bool): an empty object-dtype mask would select columns, not rows
        return frame[frame["run"].map(self._want_run).astype(bool)].reset_index(drop=True)

    def profile(self, run: str, session: str | None = None, host: str | None = None):
        """One profile as an `nbtb.Profile` (session None = the run's newest, host None = the first)."""
        from .profiles import open_profile, select

        return open_profile(self._storage, select(self.profiles, run, session, host))

    def plot(self, tag: Selector = None, run: Selector = None, smoothing: float = 0.0, x: str = "step",
             **options):
        """An Altair chart of scalars, one chart per tag, each run in its dashboard colour (nbtb.plot.plot)."""
        from .plot import plot

        return plot(self, tag=tag, run=run, smoothing=smoothing, x=x, **options)

    def scalar_series(self, run: str, tag: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One series' step, wall_time and value arrays (read-only: share them before you change them).

        Views into the scalars frame when it is built; otherwise computed from that run's events
        alone and kept until the next refresh brings records, so drawing a few cards of a big
        logdir neither builds nor holds the whole frame.
        """
        with self._lock:
            if "scalars" not in self._cache:
                series = self._series.get((run, tag))
                if series is None:
                    state = self._runs.get(run)
                    events = state.events if state is not None and self._want_tag(tag) else RunEvents()
                    series = self._series[(run, tag)] = scalar_series(events, tag, self.purge)
                return series
            df = self._cache["scalars"]
        cached = self._series_index
        if cached is None or cached[0] is not df:
            cached = self._series_index = (df, _series_index(df))
        index = cached[1]
        lo, hi = index.get((run, tag), (0, 0))
        return (df["step"].to_numpy()[lo:hi], df["wall_time"].to_numpy()[lo:hi], df["value"].to_numpy()[lo:hi])


def _file_order(path: str) -> list:
    """Name order, with numbers compared as numbers: `…tfevents.<secs>.<host>.<pid>.10` follows `….9`.

    Writers (torch's, tensorboardX's, ours) number the files of one process with an unpadded
    counter, so two files from the same second would otherwise be read out of order and a
    restart could be purged by the run it restarts.
    """
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", os.path.basename(path))]


def _latest_steps(ev: RunEvents, before_seq: int) -> dict[int, int]:
    """For each scalar tag, the step of its last record read before `before_seq`."""
    latest: dict[int, tuple[int, int]] = {}
    for chunk in ev.scalars:
        old = chunk.seq < before_seq
        if not old.any():
            continue
        i = int(np.argmax(np.where(old, chunk.seq, -1)))
        seq, step = int(chunk.seq[i]), int(chunk.step[i])
        if chunk.tag not in latest or latest[chunk.tag][0] < seq:
            latest[chunk.tag] = (seq, step)
    return {tag: step for tag, (_, step) in latest.items()}


def _series_index(df: pd.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    """Frames are sorted by run then tag, so each series is one contiguous slice."""
    if df.empty:
        return {}
    run = df["run"].cat.codes.to_numpy().astype(np.int64)
    tag = df["tag"].cat.codes.to_numpy().astype(np.int64)
    key = run * (1 << 32) + tag
    edges = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(df)]])
    runs = df["run"].cat.categories
    tags = df["tag"].cat.categories
    return {(runs[run[s]], tags[tag[s]]): (int(s), int(e)) for s, e in zip(starts, ends)}


def load(logdir: str | os.PathLike, *, run: Selector = None, tag: Selector = None, purge: bool = True,
         storage_options: dict | None = None) -> Logdir:
    """Read a TensorBoard logdir (local path or any fsspec URL) into frames.

    `run` and `tag` take a name, a list of names or a compiled regex. `purge=True` (the default)
    shows what TensorBoard shows after a restart: within each series a record at step s drops the
    records read earlier at steps >= s, and a later `SessionLog.START` at step s drops every
    series' points at steps >= s. `purge=False` keeps every record.
    """
    return Logdir(logdir, run=run, tag=tag, purge=purge, storage_options=storage_options)
