"""Kernel side of the Profile tab (docs/protocol.md, "Profile tab") (``nbtb.ProfileView`` is in panels.py).

The catalog lists the profiles the loader found (``lg.profiles``: no trace is parsed for it). A
``profile_request`` names one run and session; the reply carries the whole timeline as binary
columns, one value per event, in the order the browser draws them: by lane (a process/thread or
GPU stream), then nesting depth, then start. Lanes, depths and self times are computed here,
vectorised, so the browser only builds its level-of-detail summaries. Args (arbitrary JSON per
event) stay in the kernel until the pointer rests on an event (``profile_args_request``).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .messages import MAX_MESSAGE_BYTES, Message
from .reduce import reduce_indices

PROFILE_REQUESTS = ("profile_request", "profile_overview_request", "profile_args_request")
MAX_DEPTH = 255  # depth travels as uint8; deeper events share the last row
MAX_CATS = 255  # cat travels as uint8; rarer categories beyond that become "other"
MEMORY_POINTS = 4000  # memory curve columns kept (first/last/min/max each): a chart, not a log
CACHE = 2  # encoded profiles kept per widget (the one shown and the previous one)


@dataclass
class Encoded:
    """One profile ready to send: the header and the columns (all in drawing order)."""

    header: dict[str, Any]
    columns: dict[str, np.ndarray]
    order: np.ndarray  # drawing position -> row of the loader's ``events`` frame
    events: Any  # the loader's events (or timeline) frame
    profile: Any = None  # for args on demand


def profile_catalog(source: Any) -> dict[str, dict[str, list[str]]]:
    """``{"profile": {session: [run, ...]}}`` from ``source.profiles`` (empty when there are none)."""
    frame = None
    try:
        frame = getattr(source, "profiles", None)
    except Exception as exc:  # e.g. an unreadable plugins/ dir: say so in the status line, go on
        import warnings

        from ..logdir import DataLossWarning

        warnings.warn(f"profiles could not be listed: {type(exc).__name__}: {exc}", DataLossWarning, stacklevel=2)
    out: dict[str, list[str]] = {}
    if frame is not None and len(frame):
        for run, session in zip(frame["run"].astype(str), frame["session"].tolist()):
            session = "" if session is None or session != session else str(session)  # None/NaN: none
            runs = out.setdefault(session, [])
            if run not in runs:
                runs.append(run)
    return {"profile": {s: sorted(r) for s, r in sorted(out.items())}}


# -- lanes, depths and self times ----------------------------------------------------------------
def lane_table(events: Any, threads: Any) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Each event's lane index and the lanes, ordered like the trace's sort indices."""
    import pandas as pd

    # one code per distinct (pid, tid), without a Python loop over the events
    codes = events.groupby(["pid", "tid"], sort=False, dropna=False).ngroup().to_numpy()
    firsts = pd.DataFrame({"c": codes}).drop_duplicates("c").index.to_numpy()
    keys = list(zip(events["pid"].to_numpy()[firsts].tolist(), events["tid"].to_numpy()[firsts].tolist()))
    code_of_key = dict(zip(keys, codes[firsts].tolist()))
    info: dict[tuple[Any, Any], tuple[float, str]] = {}  # (pid, tid) -> (sort, thread name)
    procs: dict[Any, tuple[float, str]] = {}  # pid -> (lowest sort of its threads, process name)
    if threads is not None and len(threads):
        cols = [threads[c].tolist() if c in threads else [None] * len(threads)
                for c in ("pid", "tid", "process", "thread", "sort")]
        for p, tt, proc, thr, srt in zip(*cols):
            srt = _num(srt)
            info[(p, tt)] = (srt, "" if thr is None else str(thr))
            old = procs.get(p, (math.inf, ""))
            procs[p] = (min(old[0], srt), old[1] or ("" if proc is None else str(proc)))

    def sort_key(k: tuple[Any, Any]) -> tuple:
        # processes by their sort index, then threads within them by theirs (Chrome's order)
        return (procs.get(k[0], (math.inf, ""))[0], _num(k[0]), str(k[0]),
                info.get(k, (math.inf, ""))[0], _num(k[1]), str(k[1]))

    keys.sort(key=sort_key)
    lanes = []
    for p, tt in keys:
        proc = procs.get(p, (0, ""))[1]
        thr = info.get((p, tt), (0, ""))[1]
        lanes.append({"pid": _plain(p), "tid": _plain(tt), "process": proc or str(p),
                      "thread": thr or str(tt)})
    rank = np.empty(len(keys), dtype=np.int64)  # group code -> lane position
    for pos, k in enumerate(keys):
        rank[code_of_key[k]] = pos
    lane = rank[codes]
    return lane, lanes


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.inf
    return math.inf if math.isnan(f) else f


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int) and abs(v) > 2**53:  # XPlane line ids: JS numbers would round them
        return str(v)
    return v if isinstance(v, (int, float, str)) or v is None else str(v)


def nesting_depth(lane: np.ndarray, ts: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """Nesting depth of each event within its lane; inputs sorted by (lane, ts, -dur).

    An event's depth is the number of earlier events of its lane still open when it starts
    (``end > ts``): for properly nested spans, exactly the depth of a per-lane stack. It is
    counted with sorted searches instead of a Python loop over a million events.
    """
    n = len(ts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    end = ts + dur
    bounds = np.flatnonzero(np.diff(lane)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [n]])
    closed = np.empty(n, dtype=np.int64)
    lane_start = np.empty(n, dtype=np.int64)
    for a, b in zip(starts.tolist(), stops.tolist()):  # lanes: tens, not millions
        closed[a:b] = np.searchsorted(np.sort(end[a:b]), ts[a:b], side="right")
        lane_start[a:b] = a
    # zero-length events at the same (lane, ts) sorted at or after i "end" at ts_i but are not
    # earlier than i: do not count them as closed
    zero = dur == 0
    if zero.any():
        key_change = np.ones(n, dtype=bool)
        key_change[1:] = (lane[1:] != lane[:-1]) | (ts[1:] != ts[:-1])
        group = np.cumsum(key_change) - 1
        group_end = np.append(np.flatnonzero(key_change)[1:], n)[group]
        zeros_in_group = np.bincount(group, weights=zero.astype(np.float64))[group].astype(np.int64)
        pos = np.arange(n)
        later_zeros = np.where(zero, group_end - pos, zeros_in_group)
        closed -= later_zeros
    earlier = np.arange(n) - lane_start
    return np.clip(earlier - closed, 0, None)


def parents(lane: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """For each event (sorted by lane, ts, -dur) the position of its enclosing event, or -1:
    the last earlier event of the same lane one level up."""
    n = len(depth)
    parent = np.full(n, -1, dtype=np.int64)
    pos = np.arange(n)
    for d in range(1, int(depth.max(initial=0)) + 1):
        here = pos[depth == d]
        up = pos[depth == d - 1]
        if not len(here) or not len(up):
            continue
        k = np.searchsorted(up, here, side="left") - 1
        ok = k >= 0
        cand = np.where(ok, up[np.maximum(k, 0)], -1)
        ok &= lane[np.maximum(cand, 0)] == lane[here]
        parent[here[ok]] = cand[ok]
    return parent


def self_times(dur: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Duration minus the durations of direct children (never negative)."""
    has = parent >= 0
    child = np.bincount(parent[has], weights=dur[has], minlength=len(dur)) if has.any() else 0.0
    return np.maximum(dur - child, 0.0)


# -- encoding --------------------------------------------------------------------------------------
def encode_profile(profile: Any, run: str, session: str) -> Encoded:
    """The header and columns of one profile (``nbtb.Profile``) in drawing order."""
    # ``timeline`` is ``events`` without args (parsing a million events' args costs seconds; the
    # tooltip asks for one event's args at a time instead)
    ev = getattr(profile, "timeline", None)
    if ev is None:
        ev = profile.events
    n = len(ev)
    ts = ev["ts"].to_numpy(np.float64) if n else np.zeros(0)
    dur = np.nan_to_num(ev["dur"].to_numpy(np.float64), nan=0.0) if n else np.zeros(0)
    dur = np.maximum(dur, 0.0)
    lane, lanes = lane_table(ev, getattr(profile, "threads", None)) if n else (np.zeros(0, np.int64), [])
    order = _lane_order(lane, ts, dur)
    lane, ts, dur = lane[order], ts[order], dur[order]
    depth = np.minimum(nesting_depth(lane, ts, dur), MAX_DEPTH)
    parent = parents(lane, depth)
    self_us = self_times(dur, parent)
    t0 = float(ts.min()) if n else 0.0
    # drawing order: lane, depth, start (each (lane, depth) row is then one sorted run)
    draw = np.argsort(lane * (MAX_DEPTH + 1) + depth, kind="stable")  # keeps the ts order within
    lane, ts, dur, depth, self_us = lane[draw], ts[draw], dur[draw], depth[draw], self_us[draw]
    order = order[draw]
    coded = getattr(profile, "timeline_codes", None) or {}
    names, name_idx = _factorize(ev["name"], coded.get("name"))
    cats, cat_idx = _factorize(ev["cat"], coded.get("cat"))
    name_idx, cat_idx = name_idx[order], cat_idx[order]
    if len(cats) > MAX_CATS:  # keep the commonest; the rest become "other"
        counts = np.bincount(cat_idx, minlength=len(cats))
        keep = np.argsort(-counts, kind="stable")[:MAX_CATS - 1]
        remap = np.full(len(cats), MAX_CATS - 1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        cats = [cats[i] for i in keep] + ["other"]
        cat_idx = remap[cat_idx]
    # rows sorted by (lane, depth): a lane's last event is one of its deepest
    last = np.searchsorted(lane, np.arange(len(lanes)), side="right") - 1
    for i, lane_info in enumerate(lanes):
        lane_info["depth"] = int(depth[last[i]]) + 1
    steps = _steps(getattr(profile, "steps", None), t0)
    mem_cols, memory = _memory(getattr(profile, "memory", None), t0)
    columns = {
        "start": (ts - t0).astype("<f8"),
        "dur": dur.astype("<f8"),
        "self": self_us.astype("<f4"),
        "lane": lane.astype(_uint_for(len(lanes))),  # the narrowest that holds them: fewer bytes
        "depth": depth.astype("u1"),
        "name": name_idx.astype(_uint_for(len(names))),
        "cat": cat_idx.astype("u1"),
        **mem_cols,
    }
    header = {
        "run": run, "session": session, "n": int(n), "t0": t0,
        "span": float((ts + dur).max() - t0) if n else 0.0,
        "lanes": lanes, "names": names, "cats": cats, "steps": steps, "memory": memory,
        "overview": None, "error": None,  # the overview follows the columns (overview_message)
    }
    return Encoded(header, columns, order, ev, profile)


def _uint_for(count: int) -> str:
    return "u1" if count <= 0xFF else "<u2" if count <= 0xFFFF else "<u4"


_DTYPES = {"f8": "f64", "f4": "f32", "u4": "u32", "u2": "u16", "u1": "u8"}


def _factorize(column: Any, coded: tuple[np.ndarray, list[str]] | None = None) -> tuple[list[str], np.ndarray]:
    """Distinct strings of a column and each row's code (a categorical column's own codes, or
    `coded` = (codes, distinct values) when the loader had them)."""
    import pandas as pd

    if coded is not None and len(coded[0]) == len(column):
        return [str(u) for u in coded[1]], np.asarray(coded[0], dtype=np.int64)
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        uniques = [str(u) for u in column.cat.categories]
    else:
        codes, cats = pd.factorize(column.to_numpy(), use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
        uniques = [str(u) for u in cats]
    if (codes < 0).any():  # missing names/cats show as ""
        codes = np.where(codes < 0, len(uniques), codes)
        uniques.append("")
    return uniques, codes


def _steps(steps: Any, t0: float) -> list[dict[str, float]]:
    if steps is None or not len(steps):
        return []
    return [{"step": int(s), "start": float(a) - t0, "end": float(b) - t0}
            for s, a, b in zip(steps["step"], steps["start"], steps["end"])]


def _lane_order(lane: np.ndarray, ts: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """Positions sorting the events by (lane, ts, -dur). The loader's frame is sorted by (pid, tid,
    ts, -dur) already, so a stable sort by lane is enough; checked, with a full sort otherwise."""
    order = np.argsort(lane, kind="stable")
    ln, t, d = lane[order], ts[order], dur[order]
    same = ln[1:] == ln[:-1]
    ok = ~same | (t[1:] > t[:-1]) | ((t[1:] == t[:-1]) & (d[1:] <= d[:-1]))
    return order if ok.all() else np.lexsort((-dur, ts, lane))


def _memory(memory: Any, t0: float) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The memory curve (summed over devices), cut to ``MEMORY_POINTS`` pixel columns."""
    import pandas as pd

    if memory is None or not len(memory):
        return {}, {"n": 0, "total": 0, "devices": []}
    mem = memory.sort_values("ts", kind="stable")
    ts = mem["ts"].to_numpy(np.float64) - t0
    if "reserved" not in mem:
        mem = mem.assign(reserved=np.nan)
    devices = sorted(str(d) for d in pd.unique(mem["device"])) if "device" in mem else []
    if len(devices) > 1:
        # each row is one device's level after an event: carry every device's last level forward
        # and add them up, so interleaved devices do not zigzag
        sums = []
        for col in ("allocated", "reserved"):
            wide = pd.DataFrame({d: np.where(mem["device"].astype(str).to_numpy() == d,
                                             mem[col].to_numpy(np.float64), np.nan) for d in devices})
            sums.append(wide.ffill().fillna(0.0).sum(axis=1).to_numpy())
        alloc, reserved = sums
    else:
        alloc = mem["allocated"].to_numpy(np.float64)
        reserved = mem["reserved"].to_numpy(np.float64)
    total = len(ts)
    keep = reduce_indices(ts, alloc, MEMORY_POINTS) if total > 4 * MEMORY_POINTS else np.arange(total)
    cols = {"mem_ts": ts[keep].astype("<f8"), "mem_allocated": alloc[keep].astype("<f8"),
            "mem_reserved": reserved[keep].astype("<f8")}
    return cols, {"n": int(len(keep)), "total": int(total), "devices": devices,
                  "max_allocated": float(np.nanmax(alloc)) if total else 0.0,
                  "max_reserved": float(np.nanmax(reserved)) if total and not np.isnan(reserved).all() else None}


def _json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def profile_replies(request_id: int, enc: Encoded, limit: int = MAX_MESSAGE_BYTES) -> list[Message]:
    """``profile_reply`` message(s): part 0 carries the header; every part lists its buffers as
    ``{"column", "dtype", "offset", "n"}`` slices, so the browser can fill each column in place."""
    slices: list[tuple[str, str, int, np.ndarray]] = []
    for name, arr in enc.columns.items():
        arr = np.ascontiguousarray(arr)
        per = max(limit // max(arr.itemsize, 1), 1)
        for off in range(0, max(len(arr), 1), per):
            piece = arr[off:off + per]
            if len(piece) or len(arr) == 0:
                slices.append((name, _DTYPES[arr.dtype.str[1:]], off, piece))
    batches: list[list[tuple[str, str, int, np.ndarray]]] = [[]]
    size = 0
    for s in slices:
        if batches[-1] and size + s[3].nbytes > limit:
            batches.append([])
            size = 0
        batches[-1].append(s)
        size += s[3].nbytes
    columns = {name: {"dtype": _DTYPES[a.dtype.str[1:]], "n": int(len(a))} for name, a in enc.columns.items()}
    out: list[Message] = []
    for part, batch in enumerate(batches):
        msg: dict[str, Any] = {"kind": "profile_reply", "request_id": int(request_id), "part": part,
                               "parts": len(batches),
                               "buffers": [{"column": c, "dtype": d, "offset": int(o), "n": int(len(a))}
                                           for c, d, o, a in batch]}
        if part == 0:
            msg.update(enc.header, columns=columns)
        out.append((msg, [memoryview(np.ascontiguousarray(a)).cast("B") for _, _, _, a in batch]))
    return out


def error_reply(request_id: int, run: str, session: str, error: str) -> Message:
    return ({"kind": "profile_reply", "request_id": int(request_id), "part": 0, "parts": 1,
             "buffers": [], "run": run, "session": session, "error": error, "n": 0, "lanes": [],
             "names": [], "cats": [], "steps": [], "memory": {"n": 0, "total": 0, "devices": []},
             "overview": None, "columns": {}}, [])


def event_args(enc: Encoded, index: int) -> dict[str, Any]:
    """The args of the event drawn at position ``index`` (JSON-safe), plus its exact times."""
    row = int(enc.order[index])
    ev = enc.events.iloc[row]
    if hasattr(enc.profile, "event_args"):
        args = enc.profile.event_args(row)
    else:
        args = ev.get("args") if hasattr(ev, "get") else None
    return {"name": str(ev["name"]), "cat": str(ev["cat"]), "ts": float(ev["ts"]),
            "dur": float(ev["dur"]), "step": int(ev["step"]) if "step" in ev else -1,
            "args": _json_safe(args) if isinstance(args, dict) else None}


class ProfileCache:
    """The last ``CACHE`` encoded profiles of one widget, by (run, session)."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], Encoded] = OrderedDict()
        self._reading: dict[tuple[str, str], threading.Event] = {}  # prefetches under way
        self._guard = threading.Lock()  # _items is changed by the prefetch thread too

    def get(self, source: Any, run: str, session: str) -> Encoded:
        key = (run, session)
        reading = self._reading.get(key)
        if reading is not None:  # the prefetch is reading it: wait rather than read it twice
            reading.wait()
        with self._guard:
            enc = self._items.get(key)
            if enc is not None:
                self._items.move_to_end(key)
                return enc
        return self._put(key, _read(source, run, session))

    def prefetch(self, source: Any, run: str, session: str) -> threading.Thread:
        """Read and encode one profile in a thread; `get` of it waits for that thread.

        Without the widget's lock: the display of the widget (its static picture) takes that
        lock, and must not wait seconds for the parse. ``Logdir.profile`` lists and reads files
        and keeps no state, so it may run beside the loader's other users."""
        key = (run, session)
        done = self._reading[key] = threading.Event()

        def work() -> None:
            try:
                self._put(key, _read(source, run, session))
            except Exception:
                pass  # the request reads it again and reports the error in its reply
            finally:
                self._reading.pop(key, None)
                done.set()

        thread = threading.Thread(target=work, daemon=True, name="nbtb-profile-prefetch")
        thread.start()
        return thread

    def _put(self, key: tuple[str, str], enc: Encoded) -> Encoded:
        with self._guard:
            self._items[key] = enc
            self._items.move_to_end(key)
            while len(self._items) > CACHE:
                self._items.popitem(last=False)
        return enc

    def clear(self) -> None:
        with self._guard:
            self._items.clear()


def _read(source: Any, run: str, session: str) -> Encoded:
    return encode_profile(source.profile(run, session=session or None), run, session)


def prefetch(widget: Any, run: str, session: str) -> threading.Thread:
    """Read the profile ``nbtb.ProfileView`` will be asked for first while the browser is still
    loading the widget; the request then finds it in the cache, or waits for it."""
    return widget.__dict__.setdefault("_profile_cache", ProfileCache()).prefetch(widget._source, run, session)


def overview_message(request_id: int, enc: Encoded) -> Message:
    """``profile_overview``: ``Overview.to_dict()`` of the profile, computed once per encoding.

    The browser asks for it once the timeline is drawn: on a million events it takes ~0.5 s of
    CPU, which would otherwise compete with sending the columns and with the browser building
    and drawing the timeline on a small machine."""
    if enc.header["overview"] is None:
        try:
            enc.header["overview"] = _json_safe(enc.profile.overview().to_dict())
        except Exception as exc:  # no overview is better than no timeline
            enc.header["overview"] = {"error": f"{type(exc).__name__}: {exc}"}
    return ({"kind": "profile_overview", "request_id": int(request_id), "overview": enc.header["overview"]}, [])


def profile_messages(widget: Any, request: dict) -> Iterator[Message]:
    """Answer a ``profile_request`` (the reply parts), a ``profile_overview_request`` or a
    ``profile_args_request``. A generator, so each part goes out before the next is built;
    it never raises: errors go back in the reply."""
    rid = int(request.get("request_id", 0))
    run, session = str(request.get("run", "")), str(request.get("session", ""))
    cache = widget.__dict__.setdefault("_profile_cache", ProfileCache())
    kind = request.get("kind")
    try:
        with widget._lock:
            enc = cache.get(widget._source, run, session)
            if kind == "profile_args_request":
                index = int(request.get("index", -1))
                if not 0 <= index < len(enc.order):
                    raise IndexError(f"no event {index} in profile {run!r} {session!r}")
                reply = ({"kind": "profile_args_reply", "request_id": rid, "index": index,
                          **event_args(enc, index)}, [])
            elif kind == "profile_overview_request":
                reply = overview_message(rid, enc)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        yield (({"kind": "profile_args_reply", "request_id": rid, "error": error}, [])
               if kind == "profile_args_request" else
               ({"kind": "profile_overview", "request_id": rid, "overview": {"error": error}}, [])
               if kind == "profile_overview_request" else error_reply(rid, run, session, error))
        return
    if kind != "profile_request":
        yield reply
        return
    try:
        parts = profile_replies(rid, enc)  # built whole before any is sent: an error here is clean
    except Exception as exc:
        yield error_reply(rid, run, session, f"{type(exc).__name__}: {exc}")
        return
    yield from parts


__all__ = ["profile_catalog", "profile_messages", "encode_profile", "overview_message"]
