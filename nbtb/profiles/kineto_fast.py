"""A fast reader for traces in Kineto's exact JSON layout (torch's `tensorboard_trace_handler` output).

libkineto/src/output_json.cpp prints every complete event as

      {
        "ph": "X",
        "cat": "cpu_op",
        "name": "aten::mm",
        "pid": 26784,
        "tid": 26784,
        "ts": 4850280314957.102,
        "dur": 17.486
        ,
        "args": {
          "External id": 3, ...
        }
      }

(names sanitised of newlines and backslashes). One regex pass over the text yields a row per
event: the strict layout's columns for complete events, or the raw text of the few others it keeps
("M" metadata, "[memory]" instants, complete events that differ, like Kineto's "Spans" span with
string pid/tid), parsed with json. Numbers are parsed by numpy from the matched bytes; names are
decoded once per distinct name; args stay raw JSON text until asked for. If the rows do not
account for every `"ph": "` in the text, or any kept text is not JSON, this returns None and the
caller uses plain json instead.

The text is scanned in pieces cut at event starts (`scan_piece`), each reduced to compact columns
(a `Piece`: numpy arrays, distinct names with int codes, args as one buffer), then `assemble`d
into one `Trace`. Pieces are what an inflating stream yields (`parse_kineto_chunks`) or, for a
large text, one per core scanned in forked processes (kineto_parallel.py): the same two functions
either way, so the result does not depend on how the text was cut.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from operator import itemgetter
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from .trace import RawArgs, Trace, device_name

# One pass over the text, anchored on what opens every event ("\n  {\n    \"ph\": \"" — a literal
# prefix, which the regex engine scans for fast). Groups:
#   1-4: a complete event in the strict layout: cat, name (JSON escapes allowed; the "unrolled"
#        form keeps the common case one char-class run), the four numbers with their keys between
#        them, args;
#   5:   any other "X", "M" or "i"/"I" event: its text from the phase letter to its closing line;
#   flows and the rest match the last branch and are skipped.
_EVENT = re.compile(
    rb'\n  \{\n    "ph": "(?:'
    rb'X",\n    "cat": "([^"\\\n]*)",\n    "name": "([^"\\\n]*(?:\\.[^"\\\n]*)*)",\n    "pid": '
    rb'(-?\d+,\n    "tid": -?\d+,\n    "ts": -?[0-9.]+,\n    "dur": -?[0-9.]+)\n'
    rb'(?:    ,\n    "args": (\{\n[^\n]*\n    \})\n)?  \}'
    rb'|([XMiI]",\n(?:[^\n]*\n)*?  \})'
    rb'|[^"]")')
EVENT_START = b'\n  {\n    "ph": "'  # pieces are cut just before one of these
# deleting these bytes from the joined number groups leaves "pid,tid,ts,dur,pid,…" for numpy
_KEY_BYTES = b' "tidsur:\n'
_CORRELATION = re.compile(rb'"correlation": (\d+)')


@dataclass
class Piece:
    """One piece of the text, scanned: its k strict complete events as compact columns (cheap to
    pickle from a worker process) and the raw text of the other events it keeps."""

    events: int  # every '"ph": "' in the piece (each one matched a regex row)
    numbers: np.ndarray  # (k, 4) float64: pid, tid, ts, dur
    names: list  # distinct raw names (bytes); name_codes index them
    name_codes: np.ndarray  # (k,) int32
    cats: list
    cat_codes: np.ndarray
    args: bytes  # the k args objects' raw JSON, concatenated (b"" for an event without)
    args_end: np.ndarray  # (k,) int64: where each event's args end in `args`
    correlation: np.ndarray  # (k,) int64: each args' first "correlation" value, -1 if none
    texts: list  # the other kept events ("X" that differ, "M"), from the phase letter on
    memory: list  # "[memory]" instants as [ts, reserved, allocated, device id, device type] arrays


def parse_kineto_layout(data: bytes) -> Trace | None:
    """Columns of a Kineto-layout trace, or None when the text is not exactly that layout."""
    return parse_kineto_chunks([data])


def parse_kineto_chunks(chunks: Iterable[bytes]) -> Trace | None:
    """The same, from the text in consecutive pieces (e.g. as a gzip stream is inflated); the
    scan of one piece overlaps the inflating of the next (zlib releases the GIL)."""
    pieces: list[Piece | None] = []
    for k, (buf, start, stop) in enumerate(cut_chunks(chunks)):
        if k == 0 and not looks_like_kineto(buf):
            return None
        pieces.append(scan_piece(buf, start, stop))
        if pieces[-1] is None:
            return None
    return assemble(pieces)  # type: ignore[arg-type]


def cut_chunks(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """(buffer, start, stop) ranges holding whole events, from text arriving in chunks: each
    chunk (after the rest of the one before) is cut at the last event start in it and scanned in
    place up to there, so only the short rest is ever copied."""
    rest = b""
    for chunk in chunks:
        buf = rest + chunk if rest else chunk
        cut = buf.rfind(b"\n  {\n")
        if cut <= 0:
            rest = buf
            continue
        yield buf, 0, cut
        rest = buf[cut:]
    if rest:
        yield rest, 0, len(rest)


def looks_like_kineto(head: bytes) -> bool:
    """A cheap look at the start of the text before scanning all of it."""
    return b'"traceEvents": [' in head[:65536] and EVENT_START in head[:1 << 20]


def scan_piece(text: bytes, start: int, stop: int) -> Piece | None:
    """Scan text[start:stop] (events never straddle either end); None when it is not the layout."""
    rows = _EVENT.findall(text, start, stop)
    events = text.count(b'"ph": "', start, stop)
    if len(rows) != events:
        return None
    found = [r for r in rows if r[2]]
    texts = [r[4] for r in rows if r[4]]
    del rows
    # four map(itemgetter) passes are ~8x faster than zip(*found) on 650k tuples
    cat_b, name_b, num_b, args_b = (list(map(itemgetter(k), found)) for k in (0, 1, 2, 3))
    del found
    numbers = np.fromstring(b",".join(num_b).translate(None, _KEY_BYTES), dtype=np.float64, sep=",")
    if numbers.size != 4 * len(num_b):
        return None
    memory = _memory_rows([t for t in texts if t[:1] in b"iI" and _MEM_MARK in t])
    if memory is None:
        return None
    names, name_codes = _codes(name_b)
    cats, cat_codes = _codes(cat_b)
    args_end = np.cumsum(np.fromiter(map(len, args_b), np.int64, len(args_b)))
    args = b"".join(args_b)
    return Piece(events=events, numbers=numbers.reshape(-1, 4), names=names,
                 name_codes=name_codes, cats=cats, cat_codes=cat_codes, args=args, args_end=args_end,
                 correlation=first_correlations(args, args_end),
                 texts=[t for t in texts if t[:1] in b"XM"], memory=memory)


def _codes(values: list) -> tuple[list, np.ndarray]:
    """Distinct values in first-seen order, and each value's index among them."""
    index: dict = {}
    codes = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int32)
    return list(index), codes


def first_correlations(blob: bytes, ends: np.ndarray) -> np.ndarray:
    """Each args object's first "correlation" value (-1 where none): one regex pass over all of
    them, each match assigned to the object it falls in (they end at `ends` in `blob`)."""
    out = np.full(len(ends), -1, dtype=np.int64)
    pos, values = [], []
    for m in _CORRELATION.finditer(blob):
        pos.append(m.start())
        values.append(m.group(1))
    if pos:
        owner = np.searchsorted(ends, np.array(pos, dtype=np.int64), side="right")
        first = np.ones(len(owner), dtype=bool)
        first[1:] = owner[1:] != owner[:-1]  # matches come in text order: keep each object's first
        out[owner[first]] = np.array(values)[first].astype(np.int64)
    return out


def assemble(pieces: list[Piece]) -> Trace | None:
    """One Trace from the scanned pieces, in text order; None when they are not the layout."""
    from .torch_trace import IdMap, finish  # shared with the json path

    if not pieces or not any(len(p.name_codes) for p in pieces):
        return None
    texts = [t for p in pieces for t in p.texts]
    parsed = _parse([b'{"ph": "' + t for t in texts])
    if parsed is None:
        return None
    odd = [e for e in parsed if e.get("ph") == "X"]
    other = [e for e in parsed if e.get("ph") == "M"]
    numbers = np.concatenate([p.numbers for p in pieces])
    pid = numbers[:, 0].astype(np.int64)  # exact: Kineto's pids/tids are 32-bit
    tid = numbers[:, 1].astype(np.int64)
    ts = np.ascontiguousarray(numbers[:, 2])
    dur = np.ascontiguousarray(numbers[:, 3])
    names = _coded(pieces, "names", "name_codes")
    cats = _coded(pieces, "cats", "cat_codes")
    if names is None or cats is None:
        return None
    blobs = [p.args for p in pieces]
    sizes = np.cumsum([0] + [len(b) for b in blobs])
    ends = [p.args_end + base for p, base in zip(pieces, sizes.tolist())]
    correlation = [p.correlation for p in pieces]
    ids = IdMap()
    if odd:  # e.g. Kineto's "Spans" span, with string pid/tid
        names.extend(str(e.get("name", "")) for e in odd)
        cats.extend(str(e.get("cat", "")) for e in odd)
        pid = np.concatenate([pid, np.array([ids.code(e.get("pid", 0)) for e in odd], np.int64)])
        tid = np.concatenate([tid, np.array([ids.code(e.get("tid", 0)) for e in odd], np.int64)])
        ts = np.concatenate([ts, np.array([float(e["ts"]) for e in odd])])
        dur = np.concatenate([dur, np.array([float(e.get("dur", 0.0)) for e in odd])])
        odd_args = [json.dumps(e["args"]).encode() if e.get("args") is not None else b"" for e in odd]
        odd_end = np.cumsum(np.fromiter(map(len, odd_args), np.int64, len(odd_args)))
        blobs.append(b"".join(odd_args))
        ends.append(odd_end + int(sizes[-1]))
        correlation.append(first_correlations(blobs[-1], odd_end))
    args_raw = RawArgs(b"".join(blobs), np.concatenate(ends))
    trace = Trace(name=names.values(), cat=cats.values(), pid=pid, tid=tid, ts=ts, dur=dur, args=None,
                  args_raw=args_raw, correlation=np.concatenate(correlation),
                  codes={"name": names.pair(), "cat": cats.pair()})
    finish(trace, ids, other)
    trace.memory = _memory_frame([p.memory for p in pieces])
    return trace


class _Coded:
    """A string column as codes into a table of distinct values."""

    def __init__(self, codes: np.ndarray, table: list[str]) -> None:
        self.parts, self.table = [codes], table
        self.index = {v: k for k, v in enumerate(table)}

    def extend(self, values: Iterable[str]) -> None:
        self.parts.append(np.array([self.index.setdefault(v, len(self.index)) for v in values], dtype=np.int64))
        self.table = list(self.index)

    def pair(self) -> tuple[np.ndarray, list[str]]:
        if len(self.parts) > 1:
            self.parts = [np.concatenate(self.parts)]
        return self.parts[0], self.table

    def values(self) -> list[str]:
        codes, table = self.pair()
        return np.array(table, dtype=object)[codes].tolist()


def _coded(pieces: list[Piece], distinct: str, codes: str) -> _Coded | None:
    """Every piece's codes mapped onto one table of distinct values, decoded once each (two raw
    spellings of one string, escaped or not, become one value)."""
    raw: dict = {}
    parts = []
    for p in pieces:
        remap = np.array([raw.setdefault(v, len(raw)) for v in getattr(p, distinct)], dtype=np.int64)
        parts.append(remap[getattr(p, codes)] if len(remap) else np.zeros(0, np.int64))
    text = _decode(list(raw))
    if text is None:
        return None
    index: dict = {}
    same = np.array([index.setdefault(v, len(index)) for v in text], dtype=np.int64)
    return _Coded(same[np.concatenate(parts)] if len(same) else np.zeros(0, np.int64), list(index))


_MEM_MARK = b'"name": "[memory]",'
_MEM = re.compile(
    rb'"name": "\[memory\]",\n    "pid": -?\d+,\n    "tid": -?\d+,\n    "ts": (-?[0-9.]+)\n    ,\n'
    rb'    "args": \{\n      "Total Reserved": (-?\d+), "Total Allocated": (-?\d+), "Bytes": -?\d+, '
    rb'"Device Id": (-?\d+), "Device Type": (-?\d+)[,\n]')


def _memory_rows(pieces: list) -> list | None:
    """The "[memory]" instants' [ts, reserved, allocated, device id, device type] columns, matched
    by one regex over their joined (much shorter) text; None (→ the json path) when one does not fit."""
    rows = _MEM.findall(b"\n".join(pieces)) if pieces else []
    if len(rows) != len(pieces):
        return None
    return [np.array(list(map(itemgetter(k), rows)), dtype=bytes) for k in range(5)]


def _memory_frame(parts: list) -> pd.DataFrame:
    if not any(len(p[0]) for p in parts):
        from .trace import empty_memory

        return empty_memory()
    ts, reserved, allocated, dev_id, dev_type = (np.concatenate([p[k] for p in parts]) for k in range(5))
    # a name per distinct (type, id) pair, not per sample
    pairs, inverse = np.unique(np.stack([dev_type.astype(np.int64), dev_id.astype(np.int64)], axis=1),
                               axis=0, return_inverse=True)
    kinds = np.array([device_name(int(t), int(i)) for t, i in pairs], dtype=object)
    frame = pd.DataFrame({
        "ts": ts.astype(np.float64),
        "allocated": allocated.astype(np.int64),
        "reserved": reserved.astype(np.int64),
        "device": kinds[inverse.reshape(-1)],
    })
    return frame.sort_values("ts", kind="stable", ignore_index=True)


def _decode(values: list) -> list | None:
    """bytes → str once per distinct value; a JSON escape (\\uXXXX, \\") goes through json."""
    try:
        return [json.loads(b'"' + v + b'"') if b"\\" in v else v.decode() for v in values]
    except (ValueError, UnicodeDecodeError):
        return None


def _parse(pieces: list) -> list | None:
    """json for all of them in one call; None unless every one is an object."""
    if not pieces:
        return []
    try:
        out = json.loads(b"[" + b",".join(pieces) + b"]")
    except ValueError:
        return None
    return out if all(isinstance(e, dict) for e in out) else None
