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
"""

from __future__ import annotations

import json
import re
from operator import itemgetter
from typing import Iterable

import numpy as np
import pandas as pd

from .trace import Trace, device_name

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
# deleting these bytes from the joined number groups leaves "pid,tid,ts,dur,pid,…" for numpy
_KEY_BYTES = b' "tidsur:\n'


def parse_kineto_layout(data: bytes) -> Trace | None:
    """Columns of a Kineto-layout trace, or None when the text is not exactly that layout."""
    return parse_kineto_chunks([data])


def parse_kineto_chunks(chunks: Iterable[bytes]) -> Trace | None:
    """The same, from the text in consecutive pieces (e.g. as a gzip stream is inflated).

    Each piece is cut at the last event start in it, so every event is scanned whole; the scan of
    one piece overlaps the inflating of the next (zlib releases the GIL).
    """
    scan = _Scan()
    rest = b""
    first = True
    for chunk in chunks:
        buf = rest + chunk if rest else chunk
        if first:
            first = False
            if b'"traceEvents": [' not in buf[:65536] or b'\n  {\n    "ph": "' not in buf[:1 << 20]:
                scan.ok = False
        cut = buf.rfind(b"\n  {\n")
        if cut <= 0:
            rest = buf
            continue
        if scan.ok:
            scan.add(buf, cut)  # scanned in place up to `cut`: no copy of the piece
        rest = buf[cut:]
    if scan.ok and rest:
        scan.add(rest, len(rest))
    return scan.finish() if scan.ok else None


class _Scan:
    """What the pieces held: one row per event (see _EVENT)."""

    def __init__(self) -> None:
        self.ok = True
        self.rows: list = []
        self.events = 0  # every '"ph": "' in the text: each must be one row, or this is not the layout

    def add(self, piece: bytes, stop: int) -> None:
        """Scan piece[:stop] (events never straddle `stop`)."""
        self.rows += _EVENT.findall(piece, 0, stop)
        self.events += piece.count(b'"ph": "', 0, stop)

    def finish(self) -> Trace | None:
        from .torch_trace import IdMap, finish  # shared with the json path

        rows, self.rows = self.rows, []
        if len(rows) != self.events:
            return None
        found = [r for r in rows if r[2]]
        texts = [r[4] for r in rows if r[4]]
        del rows
        if not found:
            return None
        parsed = _parse([b'{"ph": "' + t for t in texts if t[:1] in b"XM"])
        if parsed is None:
            return None
        odd = [e for e in parsed if e.get("ph") == "X"]
        other = [e for e in parsed if e.get("ph") == "M"]
        mem = [t for t in texts if t[:1] in b"iI" and _MEM_MARK in t]
        # four map(itemgetter) passes are ~8x faster than zip(*found) on 650k tuples
        cat_b, name_b, num_b, args_b = (list(map(itemgetter(k), found)) for k in (0, 1, 2, 3))
        del found
        numbers = np.fromstring(b",".join(num_b).translate(None, _KEY_BYTES), dtype=np.float64, sep=",")
        if numbers.size != 4 * len(num_b):
            return None
        numbers = numbers.reshape(-1, 4)
        pid = numbers[:, 0].astype(np.int64)  # exact: Kineto's pids/tids are 32-bit
        tid = numbers[:, 1].astype(np.int64)
        ts = np.ascontiguousarray(numbers[:, 2])
        dur = np.ascontiguousarray(numbers[:, 3])
        names = _decode(name_b)
        cats = _decode(cat_b)
        if names is None or cats is None:
            return None
        args_raw = args_b
        ids = IdMap()
        if odd:  # e.g. Kineto's "Spans" span, with string pid/tid
            names += [str(e.get("name", "")) for e in odd]
            cats += [str(e.get("cat", "")) for e in odd]
            pid = np.concatenate([pid, np.array([ids.code(e.get("pid", 0)) for e in odd], np.int64)])
            tid = np.concatenate([tid, np.array([ids.code(e.get("tid", 0)) for e in odd], np.int64)])
            ts = np.concatenate([ts, np.array([float(e["ts"]) for e in odd])])
            dur = np.concatenate([dur, np.array([float(e.get("dur", 0.0)) for e in odd])])
            args_raw += [json.dumps(e["args"]).encode() if e.get("args") is not None else b"" for e in odd]
        trace = Trace(name=names, cat=cats, pid=pid, tid=tid, ts=ts, dur=dur, args=None, args_raw=args_raw)
        memory = _memory(mem)
        if memory is None:
            return None
        finish(trace, ids, other)
        trace.memory = memory
        return trace


_MEM_MARK = b'"name": "[memory]",'
_MEM = re.compile(
    rb'"name": "\[memory\]",\n    "pid": -?\d+,\n    "tid": -?\d+,\n    "ts": (-?[0-9.]+)\n    ,\n'
    rb'    "args": \{\n      "Total Reserved": (-?\d+), "Total Allocated": (-?\d+), "Bytes": -?\d+, '
    rb'"Device Id": (-?\d+), "Device Type": (-?\d+)[,\n]')


def _memory(pieces: list) -> pd.DataFrame | None:
    """The pieces joined and matched by one regex over that much shorter text; None (→ the json
    path) when one does not fit."""
    if not pieces:
        from .trace import empty_memory

        return empty_memory()
    rows = _MEM.findall(b"\n".join(pieces))
    if len(rows) != len(pieces):
        return None
    ts, reserved, allocated, dev_id, dev_type = (np.array(list(map(itemgetter(k), rows))) for k in range(5))
    kinds = {(int(t), int(i)): device_name(int(t), int(i)) for t, i in set(zip(dev_type, dev_id))}
    frame = pd.DataFrame({
        "ts": ts.astype(np.float64),
        "allocated": allocated.astype(np.int64),
        "reserved": reserved.astype(np.int64),
        "device": [kinds[(int(t), int(i))] for t, i in zip(dev_type, dev_id)],
    })
    return frame.sort_values("ts", kind="stable", ignore_index=True)


def _decode(values) -> list | None:
    """bytes → str once per distinct value; a JSON escape (\\uXXXX, \\") goes through json."""
    cache: dict = {}
    try:
        for v in set(values):
            cache[v] = json.loads(b'"' + v + b'"') if b"\\" in v else v.decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return [cache[v] for v in values]


def _parse(pieces: list) -> list | None:
    """json for all of them in one call; None unless every one is an object."""
    if not pieces:
        return []
    try:
        out = json.loads(b"[" + b",".join(pieces) + b"]")
    except ValueError:
        return None
    return out if all(isinstance(e, dict) for e in out) else None
