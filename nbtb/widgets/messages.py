"""Building the kernel -> browser messages of docs/protocol.md (pure functions, no widget).

Every series travels as 3 or 4 buffers of contiguous little-endian float64 (step, wall_time,
value[, smoothed]), described by a small JSON header; never as JSON lists, which would be ~3x larger
and slow to parse. Messages are kept under ``MAX_MESSAGE_BYTES``: a larger reply is cut into
several messages with the same request_id, between series where possible and, for a single huge
series, into consecutive slices of the same run (the browser concatenates slices of a run in order).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
_F64 = np.dtype("<f8")

Message = tuple[dict[str, Any], list[memoryview]]


def f64_buffer(values: np.ndarray) -> memoryview:
    """A byte view of ``values`` as contiguous little-endian float64 (copies only if needed)."""
    arr = np.ascontiguousarray(values, dtype=_F64)
    return memoryview(arr).cast("B")


@dataclass(frozen=True)
class Series:
    """One run's points for one tag, ready to send."""

    run: str
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    smoothed: np.ndarray | None = None  # reduced series and zoomed windows: the FULL series' smoothing
    reduced: bool = False  # points were dropped for display
    total: int = 0  # points in the requested range before reduction
    reset: bool = False  # appends only: replace the browser's copy instead of extending it

    @property
    def n(self) -> int:
        return int(len(self.step))

    @property
    def bytes_per_point(self) -> int:
        return 8 * (4 if self.smoothed is not None else 3)

    def slice(self, start: int, stop: int) -> Series:
        sm = None if self.smoothed is None else self.smoothed[start:stop]
        return replace(
            self,
            step=self.step[start:stop],
            wall_time=self.wall_time[start:stop],
            value=self.value[start:stop],
            smoothed=sm,
            reset=self.reset and start == 0,  # later slices extend what the first one replaced
        )

    def buffers(self) -> list[memoryview]:
        arrays = [self.step, self.wall_time, self.value]
        if self.smoothed is not None:
            arrays.append(self.smoothed)
        return [f64_buffer(a) for a in arrays]


def _chunks(series: Iterable[Series], limit: int) -> Iterator[list[Series]]:
    """Group series into lists whose buffers stay under ``limit`` bytes each."""
    batch: list[Series] = []
    size = 0
    for s in series:
        per_point = s.bytes_per_point
        max_points = max(limit // per_point, 1)
        start = 0
        while True:  # an empty series still gets one (empty) entry: "this run has no points"
            room = max((limit - size) // per_point, 0)
            if room == 0 and s.n > start:  # this message is full: start another one
                if batch:
                    yield batch
                batch, size, room = [], 0, max_points
            stop = min(start + room, s.n)
            piece = s if (start == 0 and stop == s.n) else s.slice(start, stop)
            batch.append(piece)
            size += piece.n * per_point
            start = stop
            if start >= s.n:
                break
    if batch:
        yield batch


def scalars_replies(
    request_id: int, tag: str, series: list[Series], limit: int = MAX_MESSAGE_BYTES
) -> list[Message]:
    """``scalars_reply`` message(s) answering one ``scalars_request``. Always at least one."""
    batches = list(_chunks(series, limit)) if series else [[]]
    out: list[Message] = []
    for part, batch in enumerate(batches):
        header = [
            {"run": s.run, "n": s.n, "total": int(s.total), "reduced": s.reduced,
             "smoothed": s.smoothed is not None}
            for s in batch
        ]
        buffers = [b for s in batch for b in s.buffers()]
        # part/parts let the browser know when a split reply is complete
        out.append(({"kind": "scalars_reply", "request_id": int(request_id), "tag": tag,
                     "series": header, "part": part, "parts": len(batches)}, buffers))
    return out


def scalars_appends(tag: str, series: list[Series], limit: int = MAX_MESSAGE_BYTES) -> list[Message]:
    """``scalars_append`` message(s) carrying the points a reload added to ``tag``."""
    out: list[Message] = []
    for batch in _chunks(series, limit):
        header = [{"run": s.run, "n": s.n, "reset": bool(s.reset)} for s in batch]
        buffers = [b for s in batch for b in s.buffers()]
        out.append(({"kind": "scalars_append", "tag": tag, "series": header}, buffers))
    return out


def csv_bytes(rows: Iterable[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]) -> bytes:
    """UTF-8 CSV ``run,tag,step,wall_time,value`` of (run, tag, step, wall_time, value) arrays.

    Floats are written with ``repr`` (shortest round-trip form), so the file holds the exact
    float64 values; steps are written as integers.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["run", "tag", "step", "wall_time", "value"])
    for run, tag, step, wall, value in rows:
        for s, w, v in zip(np.asarray(step).tolist(), np.asarray(wall).tolist(),
                           np.asarray(value).tolist()):
            writer.writerow([run, tag, int(s), repr(float(w)), repr(float(v))])
    return text.getvalue().encode("utf-8")


def csv_reply(request_id: int, tag: str, data: bytes) -> Message:
    """One ``csv_reply``; kernel -> browser traffic has no websocket size limit, so no split."""
    return ({"kind": "csv_reply", "request_id": int(request_id), "filename": csv_filename(tag)},
            [memoryview(data)])


def csv_filename(tag: str) -> str:
    """A safe file name for a tag: ``loss/train`` -> ``loss_train.csv``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", tag).strip("._") or "scalars"
    return f"{stem}.csv"
