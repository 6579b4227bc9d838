"""Histograms and distributions, kernel side (docs/protocol.md, FORMATS.md §7).

- ``histogram_replies``: the ``histograms_reply`` message(s) answering a ``histograms_request``:
  per run the steps, wall times and every step's buckets, as flat little-endian float64 buffers
  (``left``, ``right``, ``count`` of all steps concatenated, plus ``offsets``), never JSON lists.
- ``compress_histogram``: TensorBoard's distribution compressor
  (``tensorboard/plugins/distribution/compressor.py``), value for value, without importing
  TensorBoard. The browser computes the same thing in ``js/compress.ts`` to draw the bands; this
  one is the reference the tests hold both against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .messages import MAX_MESSAGE_BYTES, Message, f64_buffer

# The normal CDF at -inf, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, +inf standard deviations, in basis
# points (1/100 of a percent): TensorBoard's NORMAL_HISTOGRAM_BPS.
NORMAL_HISTOGRAM_BPS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)


def compress_histogram(buckets: Any, bps: Sequence[float] = NORMAL_HISTOGRAM_BPS) -> list[tuple[float, float]]:
    """``[(basis_point, value), ...]`` for ``buckets``, rows of (left, right, count).

    The value at a basis point interpolates linearly inside the bucket where the cumulative
    count crosses it; empty buckets are skipped; basis points past the last bucket get its right
    edge; an empty histogram gives zeros. Equal to TensorBoard's ``compress_histogram``.
    """
    arr = np.asarray(buckets, dtype=np.float64)
    if not arr.size:
        return [(b, 0.0) for b in bps]
    arr = arr.reshape(-1, 3)
    minmin, maxmax = arr[0, 0], arr[-1, 1]
    counts = arr[:, 2]
    rights = arr[:, 1]
    weights = (counts * bps[-1] / (counts.sum() or 1.0)).cumsum()
    out: list[tuple[float, float]] = []
    j = 0
    n = len(weights)
    while j < len(bps):
        i = int(np.searchsorted(weights, bps[j], side="right"))
        while i < n:
            cum = weights[i]
            prev = weights[i - 1] if i > 0 else 0.0
            if cum == prev:  # an empty bucket: nothing to interpolate in
                i += 1
                continue
            lhs = minmin if (i == 0 or not prev) else max(rights[i - 1], minmin)
            rhs = min(rights[i], maxmax)
            out.append((bps[j], float(lhs + (bps[j] - prev) * float(rhs - lhs) / (cum - prev))))
            j += 1
            break
        else:
            break
    out.extend((b, float(maxmax)) for b in bps[j:])
    return out


def distribution_values(left: np.ndarray, right: np.ndarray, count: np.ndarray,
                        bps: Sequence[float] = NORMAL_HISTOGRAM_BPS) -> np.ndarray:
    """The compressed values alone (one float per basis point) of one step's buckets."""
    buckets = np.stack([np.asarray(left, np.float64), np.asarray(right, np.float64),
                        np.asarray(count, np.float64)], axis=1) if len(left) else np.zeros((0, 3))
    return np.array([v for _, v in compress_histogram(buckets, bps)], dtype=np.float64)


@dataclass(frozen=True)
class HistogramSeries:
    """One run's histograms for one tag: ``n`` steps whose buckets are ``left/right/count``
    ``[offsets[k]:offsets[k+1]]``."""

    run: str
    step: np.ndarray
    wall_time: np.ndarray
    offsets: np.ndarray  # n + 1 bucket offsets, offsets[0] == 0
    left: np.ndarray
    right: np.ndarray
    count: np.ndarray

    @property
    def n(self) -> int:
        return int(len(self.step))

    @property
    def buckets(self) -> int:
        return int(len(self.left))

    def nbytes(self) -> int:
        return 8 * (3 * self.n + 1 + 3 * self.buckets)

    def slice(self, start: int, stop: int) -> HistogramSeries:
        a, b = int(self.offsets[start]), int(self.offsets[stop])
        return HistogramSeries(self.run, self.step[start:stop], self.wall_time[start:stop],
                               self.offsets[start:stop + 1] - a, self.left[a:b], self.right[a:b],
                               self.count[a:b])

    def buffers(self) -> list[memoryview]:
        return [f64_buffer(a) for a in (self.step, self.wall_time, self.offsets, self.left,
                                        self.right, self.count)]

    @classmethod
    def from_rows(cls, run: str, rows: Any) -> HistogramSeries:
        """From the loader's ``histograms`` frame rows of one (run, tag), sorted by step."""
        if len(rows) == 0:
            z = np.zeros(0)
            return cls(run, z, z, np.zeros(1), z, z, z)
        rows = rows.sort_values("step", kind="stable")
        lefts = [np.asarray(x, np.float64).reshape(-1) for x in rows["left"]]
        lengths = np.array([len(x) for x in lefts], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.float64)

        def flat(col: str) -> np.ndarray:
            parts = [np.asarray(x, np.float64).reshape(-1) for x in rows[col]]
            return np.concatenate(parts) if parts else np.zeros(0)

        return cls(run, rows["step"].to_numpy(np.float64), rows["wall_time"].to_numpy(np.float64),
                   offsets, np.concatenate(lefts), flat("right"), flat("count"))


def _chunks(series: list[HistogramSeries], limit: int) -> list[list[HistogramSeries]]:
    """Groups (and, when one run alone is too big, slices by steps) under ``limit`` bytes."""
    batches: list[list[HistogramSeries]] = []
    batch: list[HistogramSeries] = []
    size = 0
    for s in series:
        start = 0
        while True:
            stop = start
            used = 8
            # take whole steps while they fit (always at least one, so progress is made)
            while stop < s.n:
                k = int(s.offsets[stop + 1] - s.offsets[stop])
                cost = 8 * (3 + 1 + 3 * k)
                if stop > start and size + used + cost > limit:
                    break
                if stop == start and batch and size + used + cost > limit:
                    break
                used += cost
                stop += 1
            if stop == start and s.n > start:  # nothing fitted next to the batch: new message
                batches.append(batch)
                batch, size = [], 0
                continue
            piece = s if (start == 0 and stop == s.n) else s.slice(start, stop)
            batch.append(piece)
            size += used
            start = stop
            if start >= s.n:
                break
    if batch or not batches:
        batches.append(batch)
    return batches


def histogram_replies(request_id: int, tag: str, series: list[HistogramSeries],
                      limit: int = MAX_MESSAGE_BYTES) -> list[Message]:
    """``histograms_reply`` message(s) answering one ``histograms_request``; always one at least.

    Each run's entry ``{"run", "n", "buckets"}`` comes with 6 buffers: ``step``, ``wall_time``
    (n each), ``offsets`` (n + 1), ``left``, ``right``, ``count`` (``buckets`` each).
    """
    batches = _chunks(series, limit)
    out: list[Message] = []
    for part, batch in enumerate(batches):
        header = [{"run": s.run, "n": s.n, "buckets": s.buckets} for s in batch]
        out.append(({"kind": "histograms_reply", "request_id": int(request_id), "tag": tag,
                     "series": header, "part": part, "parts": len(batches)},
                    [b for s in batch for b in s.buffers()]))
    return out


def unchanged_reply(request: dict, tag: str, series: list[HistogramSeries]) -> Message | None:
    """A reply without data when a card's refresh (``known_count``/``known_last`` in the request:
    its one run's number of steps and last step) finds nothing new; else None."""
    count, last = request.get("known_count"), request.get("known_last")
    if count is None or last is None or len(series) > 1:
        return None
    n = series[0].n if series else 0
    if n != int(count) or (n and float(series[0].step[-1]) != float(last)):
        return None
    return ({"kind": "histograms_reply", "request_id": int(request.get("request_id", 0)), "tag": tag,
             "series": [], "part": 0, "parts": 1, "unchanged": True}, [])


def histogram_series(frame: Any, tag: str, runs: Sequence[str]) -> list[HistogramSeries]:
    """Per requested run having ``tag``, its series from the loader's ``histograms`` frame."""
    if frame is None or not len(frame):
        return []
    sub = frame[frame["tag"].astype(str) == tag]
    run_col = sub["run"].astype(str)
    out = []
    for run in runs:
        rows = sub[run_col == run]
        if len(rows):
            out.append(HistogramSeries.from_rows(str(run), rows))
    return out
