"""Per-pixel min/max reduction of a scalar series before it is sent to the browser.

A chart ``width`` pixels wide cannot show more than a few points per pixel column, so for long
series the kernel keeps, per column of x (step), the first, last, minimum and maximum point.
Drawing those in order gives the same picture as drawing everything (the classic M4 reduction),
and spikes survive. Every non-finite point is kept too, so NaN/inf stay visible as markers.
Values are never altered: the browser shows the frame's exact float64 numbers.
"""

from __future__ import annotations

import numpy as np

POINTS_PER_COLUMN = 4  # first, last, min, max
FEW_COLUMNS = 64  # up to this many columns of sorted x, columns are found by search, not per point


def needs_reduction(n: int, width: int) -> bool:
    """Reduce only when the series has more points than the reduction could keep."""
    return n > POINTS_PER_COLUMN * max(int(width), 1)


def reduce_indices(x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
    """Indices (ascending, i.e. file order) of the points to keep for a ``width``-pixel chart.

    ``x`` must be finite (steps are integers). Columns split [min(x), max(x)] evenly. Within a
    column, "first" and "last" follow file order, which is also draw order.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    width = max(int(width), 1)
    if not needs_reduction(n, width):
        return np.arange(n, dtype=np.int64)

    lo, hi = float(x.min()), float(x.max())
    if width <= FEW_COLUMNS and hi > lo and np.all(x[1:] >= x[:-1]):
        return _few_columns(x, y, width, lo, hi)
    if hi > lo:
        col = np.floor((x - lo) / (hi - lo) * width).astype(np.int64)
        np.clip(col, 0, width - 1, out=col)  # x == hi lands on column `width`
    else:
        col = np.zeros(n, dtype=np.int64)

    finite = np.isfinite(y)
    lo_key = np.where(finite, y, np.inf)  # non-finite never wins min/max; they are kept anyway
    hi_key = np.where(finite, y, -np.inf)
    if np.all(col[1:] >= col[:-1]):
        # Steps in order (the usual case): columns are contiguous runs, O(n) without sorting.
        first, last, arg_min, arg_max = _contiguous_groups(col, lo_key, hi_key)
    else:
        # Sort by column, then by key: the head of each group is its minimum, the tail its
        # maximum. lexsort is stable, so ties resolve to the earliest point.
        first, last = _group_ends(col, np.argsort(col, kind="stable"))
        arg_min, _ = _group_ends(col, np.lexsort((lo_key, col)))
        _, arg_max = _group_ends(col, np.lexsort((hi_key, col)))

    keep = np.concatenate([first, last, arg_min, arg_max, np.flatnonzero(~finite)])
    return np.unique(keep).astype(np.int64)


def _column(x: np.ndarray, lo: float, hi: float, width: int) -> np.ndarray:
    """The column of each x, exactly as ``reduce_indices`` computes it."""
    col = np.floor((x - lo) / (hi - lo) * width).astype(np.int64)
    return np.clip(col, 0, width - 1)


def _few_columns(x: np.ndarray, y: np.ndarray, width: int, lo: float, hi: float) -> np.ndarray:
    """``reduce_indices`` for sorted x and few columns (a static picture's cards): the same
    indices, with each column's bounds found by binary search (checked against the per-point
    formula, so rounding cannot move a point) and its extremes by one argmin/argmax per slice."""
    n = x.size
    # first index of each column k: search near lo + k*(hi-lo)/width, then settle on the formula
    guess = np.searchsorted(x, lo + (hi - lo) * np.arange(1, width) / width)
    starts = [0]
    for k, i in enumerate(guess.tolist(), start=1):
        i = max(i, starts[-1])
        while i > starts[-1] and _column(x[i - 1:i], lo, hi, width)[0] >= k:
            i -= 1
        while i < n and _column(x[i:i + 1], lo, hi, width)[0] < k:
            i += 1
        starts.append(i)
    starts.append(n)
    finite = np.isfinite(y)
    all_finite = bool(finite.all())
    keep = []
    for a, b in zip(starts[:-1], starts[1:]):
        if a == b:
            continue
        part = y[a:b]
        keep += [a, b - 1]
        if all_finite:
            keep += [a + int(np.argmin(part)), a + int(np.argmax(part))]
        else:  # non-finite never wins min/max (they are all kept below)
            ok = finite[a:b]
            if ok.any():
                keep += [a + int(np.argmin(np.where(ok, part, np.inf))), a + int(np.argmax(np.where(ok, part, -np.inf)))]
    if not all_finite:
        keep += np.flatnonzero(~finite).tolist()
    return np.unique(np.asarray(keep, dtype=np.int64))


def _group_ends(col: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given ``order`` sorting points by column, the first and last index of each column."""
    sorted_col = col[order]
    breaks = np.flatnonzero(np.diff(sorted_col)) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [sorted_col.size]]) - 1
    return order[starts], order[ends]


def _contiguous_groups(col: np.ndarray, lo_key: np.ndarray, hi_key: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """first, last, argmin(lo_key), argmax(hi_key) per group when equal columns are adjacent."""
    n = col.size
    starts = np.flatnonzero(np.concatenate([[True], col[1:] != col[:-1]]))
    sizes = np.diff(np.concatenate([starts, [n]]))
    group = np.repeat(np.arange(starts.size), sizes)
    out = [starts, starts + sizes - 1]
    for key, reduce in ((lo_key, np.minimum), (hi_key, np.maximum)):
        best = reduce.reduceat(key, starts)
        hits = np.flatnonzero(key == best[group])  # ascending, so the first hit per group
        first_hit = np.concatenate([[True], group[hits][1:] != group[hits][:-1]])
        out.append(hits[first_hit])
    return out[0], out[1], out[2], out[3]
