"""PyTorch (Kineto) and other Chrome-trace JSON files → a `Trace` of columns.

Kineto (libkineto/src/output_json.cpp) writes `{"schemaVersion":…, "traceEvents": [...], …}` with
"X" complete events {ph, cat, name, pid, tid, ts, dur (µs), args}, "M" metadata (process/thread
names and sort indices), "i" instants ("[memory]" ones carry the allocator totals) and "s"/"f" flows.
pid/tid are ints, except Kineto's own spans ("Spans", "Traces", ""): those strings get negative ids
(below -2**40, clear of Kineto's pid -1 for overhead) and keep their text as the lane name.

Speed (bench/profile_load.py): `json.loads` of a 1M-event trace (~265 MB of JSON) takes ~6 s on the
team's machine, before any column is built. Kineto's layout is fixed (one key per line, keys in a
fixed order, names sanitised of newlines), so `kineto_fast.py` extracts the "X" columns with one
strict regex pass and numpy, keeps each event's args as its raw JSON text (parsed on demand), and
reads the few other events it needs (metadata, "[memory]", string-pid spans) with json. Any event
the strict pass cannot account for sends the whole file down the plain json path here, so the fast
path can only be faster, never different (tests compare both on real traces).
"""

from __future__ import annotations

import gzip
import json
import queue
import re
import threading
import zlib

import numpy as np
import pandas as pd

from .trace import Trace, device_name, empty_memory

STRING_ID_BASE = -(1 << 40)
_STEP = re.compile(r"^ProfilerStep#(\d+)$")


def decompress(raw: bytes, path: str) -> bytes:
    """gzip if the bytes say so (not the name: some writers gzip without the suffix, or the reverse)."""
    if raw[:2] == b"\x1f\x8b":
        try:
            # zlib with wbits=31 reads one gzip member ~10% faster than gzip.decompress; fall back for
            # multi-member files (concatenated gzip streams)
            d = zlib.decompressobj(31)
            out = d.decompress(raw)
            if not d.eof:
                raise EOFError("the gzip stream ends early (truncated, or still being written)")
            if d.unused_data:
                return gzip.decompress(raw)
            return out
        except (zlib.error, EOFError, OSError) as exc:
            raise ValueError(f"{path}: not a readable gzip file ({exc})") from None
    return raw


def parse_trace_json(raw: bytes, path: str) -> Trace:
    """Parse a Chrome-trace JSON document (bytes, maybe gzipped). ValueError naming `path` on bad input."""
    from .kineto_fast import parse_kineto_chunks
    from .kineto_parallel import parse_kineto_stream, parse_kineto_text, worker_count

    if raw[:2] != b"\x1f\x8b":
        fast = parse_kineto_text(raw)
        return fast if fast is not None else parse_json(raw, path)
    chunks: list[bytes] = []
    inflating = _Inflating(raw)
    pieces = iter(inflating)  # one iteration, resumed by the drain below

    def kept():
        for chunk in pieces:
            chunks.append(chunk)
            yield chunk

    workers = worker_count(_inflated_size(raw))
    try:
        if workers > 1:  # a large trace: what is left once it is all inflated is scanned on every core
            fast = parse_kineto_stream(kept(), inflating.finished, workers)
        else:
            fast = parse_kineto_chunks(kept())
        for _ in kept():  # the scan may stop early (not Kineto's layout): inflate the rest anyway
            pass
    except _GzipTrouble as exc:
        if exc.multi_member:
            return parse_json(decompress(raw, path), path)
        raise ValueError(f"{path}: not a readable gzip file ({exc})") from None
    if fast is not None:
        return fast
    return parse_json(b"".join(chunks), path)


def _inflated_size(raw: bytes) -> int:
    """The gzip trailer's ISIZE: the inflated size mod 2**32 (a hint for choosing a path only)."""
    return int.from_bytes(raw[-4:], "little") if len(raw) >= 18 else 0


class _GzipTrouble(Exception):
    def __init__(self, message: str, multi_member: bool = False) -> None:
        super().__init__(message)
        self.multi_member = multi_member


_PIECE = 1 << 20  # compressed bytes per inflate call: ~16 MB of Kineto text


class _Inflating:
    """The inflated text in pieces, inflated on a second thread while the caller scans the pieces
    already there (zlib releases the GIL; the scan is the other half of the work)."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._out: queue.Queue = queue.Queue()  # unbounded: every piece is kept anyway
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def finished(self) -> bool:
        """Every piece has been inflated (the rest of the iteration will not wait)."""
        return self._done.is_set()

    def _work(self) -> None:
        out, raw = self._out, self._raw
        try:
            d = zlib.decompressobj(31)
            for i in range(0, len(raw), _PIECE):
                piece = d.decompress(raw[i:i + _PIECE])
                if piece:
                    out.put(piece)
                if d.eof:
                    break
            tail = d.flush()
            if tail:
                out.put(tail)
            if not d.eof:
                out.put(_GzipTrouble("the gzip stream ends early (truncated, or still being written)"))
            elif d.unused_data:
                out.put(_GzipTrouble("several gzip members", multi_member=True))
        except zlib.error as exc:
            out.put(_GzipTrouble(str(exc)))
        out.put(None)
        self._done.set()

    def __iter__(self):
        out = self._out
        while True:
            item = out.get()
            if item is None:
                break
            if isinstance(item, _GzipTrouble):
                while out.get() is not None:  # drain so the worker can finish, then report
                    pass
                raise item
            yield item
        self._thread.join()


def parse_json(data: bytes, path: str) -> Trace:
    """The general path: any valid Chrome-trace JSON (object with traceEvents, or a bare array)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a Chrome trace JSON file ({exc})") from None
    if isinstance(doc, dict):
        events = doc.get("traceEvents")
    else:
        events = doc  # the Chrome trace format also allows a bare array of events
    if not isinstance(events, list):
        raise ValueError(f"{path}: no traceEvents array")
    try:
        return _columns(events)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ValueError(f"{path}: malformed trace event ({exc!r})") from None


def _columns(events: list) -> Trace:
    # one pass to split by phase: "X" dominates; the rest is small
    complete = [e for e in events if e.get("ph") == "X"]
    other = [e for e in events if e.get("ph") != "X"]
    ids = IdMap()
    pid = ids.array([e.get("pid", 0) for e in complete])
    tid = ids.array([e.get("tid", 0) for e in complete])
    trace = Trace(
        name=[str(e.get("name", "")) for e in complete],
        cat=[str(e.get("cat", "")) for e in complete],
        pid=pid,
        tid=tid,
        ts=np.array([e["ts"] for e in complete], dtype=np.float64),
        dur=np.array([e.get("dur", 0.0) for e in complete], dtype=np.float64),
        args=[e.get("args") for e in complete],
    )
    finish(trace, ids, other)
    return trace


def finish(trace: Trace, ids: "IdMap", other: list) -> None:
    """Metadata, memory and step markers from the non-"X" events (shared by both parse paths)."""
    memory = []
    for e in other:
        ph = e.get("ph")
        if ph == "M":
            _metadata(trace, ids, e)
        elif ph in ("i", "I") and e.get("name") == "[memory]":
            memory.append(e)
    trace.id_names = {code: text for text, code in ids.codes.items()}
    trace.memory = _memory(memory)
    trace.step_marks = [(int(m.group(1)), ts, ts + dur)
                        for name, cat, ts, dur in _step_candidates(trace)
                        if (m := _STEP.match(name))]


def _step_candidates(trace: Trace):
    # ProfilerStep#N is a host "user_annotation"; Kineto also mirrors it on GPU streams as
    # "gpu_user_annotation", which must not make a second step
    names = pd.Series(trace.name, dtype=object)
    marks = [n for n in names.unique() if isinstance(n, str) and n[:13] == "ProfilerStep#"]
    for i in np.flatnonzero(names.isin(marks).to_numpy()).tolist():  # hashed: no Python loop over events
        if trace.cat[i] != "gpu_user_annotation":
            yield trace.name[i], trace.cat[i], float(trace.ts[i]), float(trace.dur[i])


class IdMap:
    """pid/tid as int64; Kineto's string ids ("Spans", "Trace PyTorch Profiler", "") get negative codes."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, value) -> int:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = str(value)
        if text.lstrip("-").isdigit():
            return int(text)
        code = self.codes.get(text)
        if code is None:
            code = self.codes[text] = STRING_ID_BASE - len(self.codes)
        return code

    def array(self, values: list) -> np.ndarray:
        try:
            # the common case, every id an int: one C-level conversion
            return np.array(values, dtype=np.int64)
        except (TypeError, ValueError, OverflowError):
            return np.array([self.code(v) for v in values], dtype=np.int64)


def _metadata(trace: Trace, ids: IdMap, e: dict) -> None:
    name = e.get("name")
    args = e.get("args") or {}
    p = ids.code(e.get("pid", 0))
    if name == "process_name":
        trace.process_names[p] = str(args.get("name", ""))
    elif name == "process_sort_index":
        trace.process_sort[p] = _number(args.get("sort_index"))
    elif name == "thread_name":
        trace.thread_names[(p, ids.code(e.get("tid", 0)))] = str(args.get("name", ""))
    elif name == "thread_sort_index":
        trace.thread_sort[(p, ids.code(e.get("tid", 0)))] = _number(args.get("sort_index"))


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _memory(events: list) -> pd.DataFrame:
    """"[memory]" instants: the allocator's running totals after each allocation/free, per device."""
    if not events:
        return empty_memory()
    args = [e.get("args") or {} for e in events]
    frame = pd.DataFrame({
        "ts": np.array([float(e["ts"]) for e in events], dtype=np.float64),
        "allocated": np.array([int(a.get("Total Allocated", 0)) for a in args], dtype=np.int64),
        "reserved": np.array([int(a.get("Total Reserved", 0)) for a in args], dtype=np.int64),
        "device": [device_name(int(a.get("Device Type", 0)), int(a.get("Device Id", -1))) for a in args],
    })
    return frame.sort_values("ts", kind="stable", ignore_index=True)
