"""Accumulated run events → the tidy frames of `Logdir` (scalars, histograms, …, hparams, tags).

Purging (FORMATS.md §6) is decided here, on whole columns: within a series, a record survives only
if every record read after it has a larger step; a `SessionLog.START` after a run's first one, at
step s, drops the points read before it at steps >= s.
"""

from __future__ import annotations

import posixpath
from typing import Callable

import numpy as np
import pandas as pd

from .events import RunEvents, ScalarChunk

_SCALAR_COLUMNS = ["run", "tag", "step", "wall_time", "value"]
_ROW_COLUMNS = {
    "histograms": ["left", "right", "count"],
    "images": ["index", "width", "height", "format", "data"],
    "audio": ["index", "sample_rate", "data"],
    "text": ["text"],
    "tensors": ["plugin", "value"],
}
_ROW_DTYPES = {"index": "int64", "width": "int64", "height": "int64", "sample_rate": "float64"}
_BIG = np.iinfo(np.int64).max


def _categorical(values: list[str] | None = None) -> pd.Categorical:
    return pd.Categorical([], categories=values or [])


def _empty(columns: list[str]) -> pd.DataFrame:
    data = {"run": _categorical(), "tag": _categorical(), "step": np.zeros(0, np.int64),
            "wall_time": np.zeros(0, np.float64)}
    for column in columns:
        data[column] = np.zeros(0, _ROW_DTYPES.get(column, "float64" if column == "value" else object))
    return pd.DataFrame(data)


EMPTY_SCALARS = _empty(["value"])


def purge_keep(tag: np.ndarray, seq: np.ndarray, step: np.ndarray, restarts: list[tuple[int, int]]) -> np.ndarray:
    """Which rows survive purging. Rows must be sorted by (tag, seq); rows of one record share a seq."""
    n = len(step)
    keep = np.ones(n, dtype=bool)
    if n > 1:
        same_tag = tag[1:] == tag[:-1]
        later_seq = seq[1:] > seq[:-1]
        if not np.all(~same_tag | ~later_seq | (step[1:] > step[:-1])):
            # Minimum step over strictly later records of the same tag, per row.
            first_of_record = np.ones(n, dtype=bool)
            first_of_record[1:] = ~same_tag | later_seq
            rec = np.cumsum(first_of_record) - 1  # record number per row
            rec_step = step[first_of_record].astype(np.int64)  # int32 steps: _BIG must not wrap
            rec_tag = tag[first_of_record]
            suffix = pd.Series(rec_step[::-1]).groupby(rec_tag[::-1]).cummin().to_numpy()[::-1]
            later_min = np.full(len(rec_step), _BIG, dtype=np.int64)
            same_next = rec_tag[1:] == rec_tag[:-1]
            later_min[:-1] = np.where(same_next, suffix[1:], _BIG)
            keep = (rec_step < later_min)[rec]
    for restart_seq, restart_step in restarts:
        keep &= ~((seq < restart_seq) & (step >= restart_step))
    return keep


def _restarts(ev: RunEvents, purge: bool) -> list[tuple[int, int]]:
    return ev.starts[1:] if purge else []


def _run_scalars(ev: RunEvents, purge: bool, want_tag: Callable[[str], bool], since_seq: int = 0,
                 rank: np.ndarray | None = None):
    """(tag ranks, step, wall, value, seq, chunks used) of one run, sorted by (tag rank, read
    order), purged.

    `rank` maps the run's tag codes to their place in the frame's tag order (default: by name).
    Chunks hold one tag each, in read order, so laying them out by (rank, first record) is usually
    already sorted and needs no permutation.
    """
    if rank is None:
        rank = np.argsort(np.argsort(np.array(ev.tag_names, dtype=object))).astype(np.int64)
    scalar_tag = np.array([ev.plugin(t) == "scalars" for t in ev.tag_names], dtype=bool)
    wanted = np.array([want_tag(t) for t in ev.tag_names], dtype=bool)
    chunks = [c for c in ev.scalars if wanted[c.tag] and (not c.tensor or scalar_tag[c.tag])]
    if since_seq:
        chunks = [c for c in chunks if c.seq[-1] >= since_seq]
    if not chunks:
        return None
    chunks.sort(key=lambda c: (rank[c.tag], int(c.seq[0])))

    def joined(arrays: list[np.ndarray]) -> np.ndarray:  # one chunk (the usual series): no copy
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    tag = joined([np.full(len(c.step), rank[c.tag], dtype=np.int64) for c in chunks])
    step = joined([c.step for c in chunks])
    wall = joined([c.wall_time for c in chunks])
    value = joined([c.value for c in chunks])
    seq = joined([c.seq for c in chunks])
    if since_seq:
        new = seq >= since_seq
        tag, step, wall, value, seq = tag[new], step[new], wall[new], value[new], seq[new]
    key = (tag << 40) | seq if len(chunks) > 1 else None  # a chunk is in read order already
    if key is not None and len(key) > 1 and not (key[1:] >= key[:-1]).all():
        order = np.argsort(key, kind="stable")
        tag, step, wall, value, seq = tag[order], step[order], wall[order], value[order], seq[order]
    if purge:
        keep = purge_keep(tag, seq, step, _restarts(ev, purge) if not since_seq else [])
        if not keep.all():
            tag, step, wall, value, seq = tag[keep], step[keep], wall[keep], value[keep], seq[keep]
    return tag, step, wall, value, seq, chunks


def scalar_frame_for(name: str, ev: RunEvents, purge: bool, want_tag, since_seq: int = 0) -> pd.DataFrame:
    """One run's scalars (read since `since_seq`), ordered by tag name then read order."""
    names = sorted(ev.tag_names)
    rank = np.array([names.index(t) for t in ev.tag_names], dtype=np.int64)
    parts = _run_scalars(ev, purge, want_tag, since_seq, rank)
    if parts is None or len(parts[0]) == 0:
        return EMPTY_SCALARS.copy()
    tag, step, wall, value = parts[:4]
    step = step.astype(np.int64, copy=False)
    return pd.DataFrame({
        "run": pd.Categorical.from_codes(np.zeros(len(step), dtype=np.int32), categories=[name]),
        "tag": pd.Categorical.from_codes(tag, categories=names).remove_unused_categories(),
        "step": step, "wall_time": wall, "value": value,
    })


def _code_dtype(n: int) -> type:
    """The integer type pandas itself uses for the codes of `n` categories (no conversion copy)."""
    return np.int8 if n < 2**7 else np.int16 if n < 2**15 else np.int32


def _scalars(runs: dict[str, RunEvents], purge: bool, want_tag, rebase: bool = False) -> pd.DataFrame:
    """All runs' scalars, ordered by run, then tag name, then read order.

    The output columns are allocated once at their largest possible size and filled run by run.
    With `rebase`, each run's points then live in the frame's arrays alone: the run's chunks are
    replaced by views of its rows (plus their read order), and the old chunks freed, so loading a
    logdir holds its scalars once, not twice (peak memory ~ one frame, not events + frame).
    """
    run_names = list(runs)
    all_tags = sorted({t for ev in runs.values() for t in ev.tag_names})
    tag_index = {t: i for i, t in enumerate(all_tags)}
    capacity = sum(len(c.step) for ev in runs.values() for c in ev.scalars)
    run_code = np.empty(capacity, dtype=_code_dtype(len(run_names)))
    tag_code = np.empty(capacity, dtype=_code_dtype(len(all_tags)))
    steps = np.empty(capacity, dtype=np.int64)
    walls = np.empty(capacity, dtype=np.float64)
    values = np.empty(capacity, dtype=np.float64)
    n = 0
    for r, ev in enumerate(runs.values()):
        rank = np.array([tag_index[t] for t in ev.tag_names], dtype=np.int64)
        parts = _run_scalars(ev, purge, want_tag, rank=rank)
        if parts is None or len(parts[0]) == 0:
            continue
        tag, step, wall, value, seq, used = parts
        end = n + len(step)
        run_code[n:end] = r
        tag_code[n:end] = tag
        steps[n:end] = step
        walls[n:end] = wall
        values[n:end] = value
        if rebase:
            del parts, step, wall, value
            _rebase(ev, used, tag, seq, rank, steps[n:end], walls[n:end], values[n:end])
            del used, seq, tag
            release_freed_memory()
        n = end
    if n == 0:
        return EMPTY_SCALARS.copy()
    used_codes = np.flatnonzero(np.bincount(tag_code[:n], minlength=len(all_tags)))
    remap = np.full(len(all_tags), -1, dtype=tag_code.dtype)
    remap[used_codes] = np.arange(len(used_codes))
    codes = tag_code[:n] if len(used_codes) == len(all_tags) else remap[tag_code[:n]]
    return pd.DataFrame({
        "run": pd.Categorical.from_codes(run_code[:n], categories=run_names),
        "tag": pd.Categorical.from_codes(codes, categories=[all_tags[i] for i in used_codes]),
        "step": steps[:n], "wall_time": walls[:n], "value": values[:n],
    }, copy=False)


def _rebase(ev: RunEvents, used: list[ScalarChunk], tag: np.ndarray, seq: np.ndarray, rank: np.ndarray,
            step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
    """Replace the chunks a run's frame rows came from by views of those rows, one chunk per tag.

    Purged points are dropped for good: purging only ever removes points superseded by later
    records, so no later read can bring them back. The read order (`seq`) is kept, as int32, for
    the purging of records read later.
    """
    code_of = {int(rank[c]): c for c in range(len(rank))}
    starts = np.flatnonzero(np.concatenate([[True], tag[1:] != tag[:-1]]))
    ends = np.append(starts[1:], len(tag))
    order = seq.astype(np.int32) if len(seq) and seq[-1] < 2**31 else seq
    rebased = [ScalarChunk(code_of[int(tag[a])], False, step[a:b], wall[a:b], value[a:b], order[a:b])
               for a, b in zip(starts.tolist(), ends.tolist())]
    taken = {id(c) for c in used}
    ev.scalars[:] = [c for c in ev.scalars if id(c) not in taken] + rebased


def release_freed_memory() -> None:
    """Hand memory freed by numpy back to the OS now (glibc keeps freed heap pages otherwise)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _load_malloc_trim():
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return None


_malloc_trim = _load_malloc_trim()


def scalar_series(ev: RunEvents, tag: str, purge: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One tag's step, wall_time and value of one run, purged: the same points as its slice of the
    scalars frame, computed from the run's chunks alone, so a dashboard that draws a few series never
    pays for (nor holds) the whole frame."""
    parts = _run_scalars(ev, purge, lambda t: t == tag) if tag in ev.tag_codes else None
    if parts is None:
        return np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.float64)
    out = parts[1].astype(np.int64, copy=False), parts[2].view(), parts[3].view()
    for a in out:  # possibly the run's own storage: nobody may write through these
        a.flags.writeable = False
    return out


def _scalar_counts(runs: dict[str, RunEvents], purge: bool, want_tag) -> pd.DataFrame:
    """Points per (run, tag) after purging, run by run: `.tags` without building the scalars frame."""
    out = []
    for name, ev in runs.items():
        counted = _counts_if_nothing_purged(ev, purge, want_tag)
        if counted is not None:
            out += [(name, "scalars", t, c) for t, c in sorted(counted.items())]
            continue
        names = sorted(ev.tag_names)
        rank = np.array([names.index(t) for t in ev.tag_names], dtype=np.int64)
        parts = _run_scalars(ev, purge, want_tag, rank=rank)
        if parts is None:
            continue
        counts = np.bincount(parts[0], minlength=len(names))
        out += [(name, "scalars", t, int(c)) for t, c in zip(names, counts) if c]
    return pd.DataFrame(out, columns=["run", "kind", "tag", "count"])


def _counts_if_nothing_purged(ev: RunEvents, purge: bool, want_tag) -> dict[str, int] | None:
    """Points per scalar tag straight from the chunk lengths, when purging can remove nothing:
    no restart, and every tag's steps rise with read order (the usual run). None otherwise, and
    the caller lays the series out and purges them. Skips the concatenation of millions of points
    that `.tags` (hence the dashboard's catalog) would otherwise pay for a count."""
    if purge and len(ev.starts) > 1:
        return None
    by_tag: dict[int, list] = {}
    for c in ev.scalars:
        by_tag.setdefault(c.tag, []).append(c)
    counts: dict[str, int] = {}
    for code, chunks in by_tag.items():
        name = ev.tag_names[code]
        if not want_tag(name) or (chunks[0].tensor and ev.plugin(name) != "scalars"):
            continue
        if any(c.tensor != chunks[0].tensor for c in chunks):
            return None  # mixed simple and tensor values: the general path decides
        if purge:
            chunks = sorted(chunks, key=lambda c: int(c.seq[0]))
            last_seq = last_step = None
            for c in chunks:
                if len(c.step) > 1 and not (np.all(c.step[1:] > c.step[:-1]) and np.all(c.seq[1:] > c.seq[:-1])):
                    return None
                if last_seq is not None and not (int(c.seq[0]) > last_seq and int(c.step[0]) > last_step):
                    return None
                last_seq, last_step = int(c.seq[-1]), int(c.step[-1])
        counts[name] = sum(len(c.step) for c in chunks)
    return counts


def _tensor_scalars_elsewhere(ev: RunEvents) -> list[tuple]:
    """Rank-0 tensors read in bulk whose tag turned out not to be a scalars-plugin tag."""
    rows = []
    for c in ev.scalars:
        plugin = ev.plugin(ev.tag_names[c.tag])
        if not c.tensor or plugin == "scalars":
            continue
        for step, wall, seq, value in zip(c.step, c.wall_time, c.seq, c.value):
            rows.append((c.tag, int(step), float(wall), int(seq), plugin, np.array(value)))
    return rows


def _rows(kind: str, runs: dict[str, RunEvents], purge: bool, want_tag) -> pd.DataFrame:
    """The frame of a row kind (histograms, images, audio, text, tensors) over `runs`, purged."""
    columns = _ROW_COLUMNS[kind]
    out: list[pd.DataFrame] = []
    for name, ev in runs.items():
        rows = list(ev.rows.get(kind, []))
        if kind == "tensors":
            rows += _tensor_scalars_elsewhere(ev)
        rows = [r for r in rows if want_tag(ev.tag_names[r[0]])]
        if not rows:
            continue
        rows.sort(key=lambda r: (ev.tag_names[r[0]], r[3]))
        tag = np.array([r[0] for r in rows], dtype=np.int64)
        step = np.array([r[1] for r in rows], dtype=np.int64)
        seq = np.array([r[3] for r in rows], dtype=np.int64)
        keep = purge_keep(tag, seq, step, _restarts(ev, purge)) if purge else np.ones(len(rows), bool)
        rows = [r for r, k in zip(rows, keep) if k]
        data: dict[str, object] = {
            "run": [name] * len(rows),
            "tag": [ev.tag_names[r[0]] for r in rows],
            "step": np.array([r[1] for r in rows], dtype=np.int64),
            "wall_time": np.array([r[2] for r in rows], dtype=np.float64),
        }
        for i, column in enumerate(columns):
            values = [r[4 + i] for r in rows]
            if column in _ROW_DTYPES:
                data[column] = np.array(values, dtype=_ROW_DTYPES[column])
            else:
                array = np.empty(len(values), dtype=object)
                array[:] = values
                data[column] = array
        out.append(pd.DataFrame(data))
    if not out:
        return _empty(columns)
    df = pd.concat(out, ignore_index=True)
    df["run"] = pd.Categorical(df["run"], categories=list(runs))
    df["tag"] = pd.Categorical(df["tag"], categories=sorted(df["tag"].unique()))
    return df


def _hparam_value(value) -> object:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def _hparams(runs: dict[str, RunEvents], scalars: pd.DataFrame) -> pd.DataFrame:
    """One row per session (a run with session_start_info), as TensorBoard's hparams dashboard resolves it."""
    from .proto import plugins_pb2

    experiment = None
    sessions: dict[str, dict[str, object]] = {}
    for name, ev in runs.items():
        for code, _step, _wall, _seq, content in ev.rows.get("hparams", []):
            data = plugins_pb2.HParamsPluginData.FromString(content)
            which = data.WhichOneof("data")
            if which == "experiment" and experiment is None:
                experiment = data.experiment
            elif which == "session_start_info" and name not in sessions:
                sessions[name] = {k: _hparam_value(v) for k, v in data.session_start_info.hparams.items()}
    if not sessions:
        return pd.DataFrame({"run": pd.Series([], dtype=object)})
    hparam_names = [h.name for h in experiment.hparam_infos] if experiment else []
    for values in sessions.values():
        hparam_names += [k for k in sorted(values) if k not in hparam_names]
    last = (scalars.groupby(["run", "tag"], observed=True, sort=False)["value"].last()
            if not scalars.empty else pd.Series(dtype=float))
    last_values = {(str(r), str(t)): v for (r, t), v in last.items()}
    rows = []
    for session, values in sorted(sessions.items()):
        row: dict[str, object] = {"run": session}
        row.update({k: values.get(k) for k in hparam_names})
        if experiment is not None and experiment.metric_infos:
            metrics = [(m.name.group, m.name.tag) for m in experiment.metric_infos]
        else:  # every scalar tag of the session run and of the runs below it
            metrics = []
            for run, tag in last_values:
                if run == session or session == "." or run.startswith(session + "/"):
                    group = "" if run == session else (run if session == "." else run[len(session) + 1:])
                    metrics.append((group, tag))
        for group, tag in metrics:
            run = session if not group else (group if session == "." else posixpath.join(session, group))
            row[f"{group}/{tag}" if group else tag] = last_values.get((run, tag), np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


DEFERRED_KINDS = ("histograms", "images", "audio")  # may hold records not decoded yet (events.py)


def _media_counts(kind: str, runs: dict[str, RunEvents], purge: bool, want_tag) -> pd.DataFrame:
    """Rows per (run, tag) of a kind whose records may still be undecoded: purged, not decoded."""
    out = []
    for name, ev in runs.items():
        rows = [(ev.tag_names[r[0]], r[3], r[1]) for r in ev.rows.get(kind, [])]
        rows += [(d.tag, d.seq, d.step) for d in ev.deferred if d.kind == kind]
        rows = sorted(r for r in rows if want_tag(r[0]))
        if not rows:
            continue
        names = sorted({r[0] for r in rows})
        index = {t: i for i, t in enumerate(names)}
        tag = np.array([index[r[0]] for r in rows], dtype=np.int64)
        seq = np.array([r[1] for r in rows], dtype=np.int64)
        step = np.array([r[2] for r in rows], dtype=np.int64)
        keep = purge_keep(tag, seq, step, _restarts(ev, purge)) if purge else np.ones(len(rows), bool)
        counts = np.bincount(tag[keep], minlength=len(names))
        out += [(name, kind, t, int(c)) for t, c in zip(names, counts) if c]
    return pd.DataFrame(out, columns=["run", "kind", "tag", "count"])


def _counts(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rows per (run, tag) of a frame, from the categorical codes (no groupby over millions of rows)."""
    runs, tags = df["run"].cat, df["tag"].cat
    n_tags = len(tags.categories)
    key = runs.codes.to_numpy().astype(np.int64) * n_tags + tags.codes.to_numpy()
    counts = np.bincount(key, minlength=len(runs.categories) * n_tags)
    nonzero = np.flatnonzero(counts)
    return pd.DataFrame({"run": runs.categories[nonzero // n_tags].astype(str), "kind": kind,
                         "tag": tags.categories[nonzero % n_tags].astype(str), "count": counts[nonzero]})


def _tags(runs: dict[str, RunEvents], frames: dict[str, pd.DataFrame], purge: bool, want_tag) -> pd.DataFrame:
    parts = []
    for kind in ["scalars", *_ROW_COLUMNS]:
        if kind == "scalars" and kind not in frames:
            parts.append(_scalar_counts(runs, purge, want_tag))
            continue
        if kind in DEFERRED_KINDS:
            parts.append(_media_counts(kind, runs, purge, want_tag))
            continue
        df = frames[kind]
        if df.empty:
            continue
        parts.append(_counts(df, kind))
    hp = [(name, "hparams", ev.tag_names[r[0]]) for name, ev in runs.items() for r in ev.rows.get("hparams", [])]
    graphs = [(name, "graphs", "__run_graph__") for name, ev in runs.items() for _ in ev.graphs]
    extra = hp + graphs
    if extra:
        parts.append(pd.DataFrame(extra, columns=["run", "kind", "tag"]).value_counts(sort=False)
                     .reset_index(name="count"))
    if not parts:
        return pd.DataFrame({"run": pd.Series([], dtype=object), "kind": pd.Series([], dtype=object),
                             "tag": pd.Series([], dtype=object), "count": np.zeros(0, np.int64)})
    df = pd.concat(parts, ignore_index=True)
    df["count"] = df["count"].astype(np.int64)
    return df.sort_values(["run", "kind", "tag"], ignore_index=True)


KINDS = ("scalars", *_ROW_COLUMNS, "hparams", "tags")


rows_frame = _rows  # one tag's rows for a card: logdir.Logdir.rows_for


def build_frame(kind: str, runs: dict[str, RunEvents], purge: bool, want_tag, frames: dict[str, pd.DataFrame]
                ) -> pd.DataFrame:
    """Build one frame; `frames` caches the others it needs (hparams needs scalars, tags needs all)."""

    def get(other: str) -> pd.DataFrame:
        if other not in frames:
            frames[other] = build_frame(other, runs, purge, want_tag, frames)
        return frames[other]

    if kind == "scalars":
        return _scalars(runs, purge, want_tag, rebase=True)
    if kind in _ROW_COLUMNS:
        return _rows(kind, runs, purge, want_tag)
    if kind == "hparams":
        return _hparams(runs, get("scalars"))
    if kind == "tags":
        # The scalars frame is used when already built; otherwise counted without building it.
        needed = {k: get(k) for k in _ROW_COLUMNS if k not in DEFERRED_KINDS}
        if "scalars" in frames:
            needed["scalars"] = frames["scalars"]
        return _tags(runs, needed, purge, want_tag)
    raise KeyError(kind)
