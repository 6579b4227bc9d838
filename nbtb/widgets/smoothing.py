"""TensorBoard's scalar smoothing (FORMATS.md §7), in numpy.

The browser smooths series it received whole; the kernel smooths only series it reduced, because
smoothing the kept points alone would give a different curve than smoothing the full series.
Both sides must therefore compute the same numbers: this is a line-by-line port of TB's
``classicSmoothing`` (webapp/widgets/line_chart_v2/data_transformer.ts).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

DEFAULT_SMOOTHING = 0.6  # TB's default (webapp/metrics/store/metrics_types.ts)


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Debiased exponential moving average of ``values`` with TB's rules.

    - ``weight`` is clamped to [0, 1];
    - a series whose values are all equal is returned unchanged (TB compares with ``==``, so a
      series containing NaN is never "constant");
    - non-finite values pass through unchanged and do not enter the average;
    - otherwise ``last = w*last + (1-w)*y; n += 1; y' = last / (1 - w**n)`` (divisor 1 when w = 1),
      which leaves the first finite point unchanged.
    """
    out, w, finite, ys = _prepare(values, weight)
    if ys is None:
        return out
    # The recurrence is inherently sequential; accumulate() runs the loop in C and performs the
    # very same float operations, in the same order, as TB's JavaScript (no re-association).
    one_minus_w = 1.0 - w
    ema = np.fromiter(
        itertools.accumulate(ys.tolist(), lambda last, v: last * w + one_minus_w * v, initial=0.0),
        dtype=np.float64,
        count=ys.size + 1,
    )[1:]
    if w != 1.0:
        ema = ema / (1.0 - np.power(w, np.arange(1, ys.size + 1, dtype=np.float64)))
    out[finite] = ema
    return out


def _prepare(values: np.ndarray, weight: float, at: np.ndarray | None = None):
    """(output copy, clamped weight, finite mask, finite values), or finite values None when TB's
    rules leave the series as it is (empty, all equal, nothing finite). With ``at``, the output
    holds only those points, and the finite mask is None when every value is finite."""
    y = np.asarray(values, dtype=np.float64)
    out = y.copy() if at is None else y[at]
    w = min(max(float(weight), 0.0), 1.0)
    if y.size == 0 or np.all(y == y[0]):
        return out, w, None, None
    finite = np.isfinite(y)
    if at is not None and finite.all():  # the usual case: no mask, no copy of the values
        return out, w, None, y
    ys = y[finite]
    return out, w, finite, (ys if ys.size else None)


def smooth_fast(values: np.ndarray, weight: float, at: np.ndarray | None = None) -> np.ndarray:
    """TensorBoard's smoothing (``smooth``, same rules) vectorised in blocks.

    ``smooth`` runs TB's recurrence point by point, which is exact but costs ~0.3 µs a point:
    a second for a few million points, too slow for a picture drawn at every display. Here the
    recurrence is solved in closed form within blocks short enough that ``w**-B`` stays below
    1e100, and carried from block to block; the result equals ``smooth`` to ~1e-12 relative.

    ``at`` (sorted positions into ``values``) asks for the smoothed values at those points only:
    the average still runs over the whole series, but only the block ends and the asked points are
    finished, which is what a picture of a reduced series needs.
    """
    if at is not None:
        at = np.asarray(at, dtype=np.int64)
    out, w, finite, ys = _prepare(values, weight, at)
    if ys is None or w == 0.0:  # w = 0: last = v, divisor 1: the series itself
        return out
    if w == 1.0:  # last stays 0 and the divisor is 1, as in TB
        if at is None:
            out[finite] = 0.0
        else:
            out[slice(None) if finite is None else finite[at]] = 0.0
        return out
    n = ys.size
    if at is not None and finite is None:
        window = int(math.ceil(_NEGLIGIBLE / -math.log10(w)))
        if len(at) * window * 2 < n:  # a few points (a picture): no pass over the whole series
            out[:] = _smooth_in_windows(ys, w, at, window)
            return out
    block = int(max(1, min(n, 100.0 / -math.log10(w))))
    pad = (-n) % block
    v = np.concatenate([ys, np.zeros(pad)]).reshape(-1, block)
    j = np.arange(block, dtype=np.float64)
    # last_k = w**(j+1) * carry + (1-w) * w**j * sum_{i<=j} w**-i v_i within a block (k = block*b + j),
    # with carry the previous block's last value
    sums = np.cumsum(v * np.power(w, -j), axis=1)
    scale = (1.0 - w) * np.power(w, j)
    decay = w ** block
    carries = np.empty(v.shape[0])
    carry = 0.0
    for b, end in enumerate((sums[:, -1] * scale[-1]).tolist()):
        carries[b] = carry
        carry = carry * decay + end
    if at is None:
        k = np.arange(n)
        target = finite
    elif finite is None:  # every value finite: positions are the asked ones
        k = at
        target = slice(None)
    else:  # the asked points that enter the average, as positions among the finite values
        target = finite[at]
        k = (np.cumsum(finite) - 1)[at[target]]
    b, jj = np.divmod(k, block)
    w_j1 = np.power(w, jj + 1.0)
    last = sums.ravel()[k] * scale[jj] + carries[b] * w_j1
    w_n = np.power(decay, b.astype(np.float64)) * w_j1  # w**(k+1)
    out[target] = last / (1.0 - w_n)
    return out


# Terms weighted w**k below 10**-_NEGLIGIBLE of the newest value are left out (see below).
_NEGLIGIBLE = 20


def _smooth_in_windows(ys: np.ndarray, w: float, at: np.ndarray, window: int) -> np.ndarray:
    """The smoothed values at ``at`` from the last ``window`` points before each: TB's average is
    ``(1-w) * sum_i w**(k-i) y_i / (1 - w**(k+1))``, and with ``w**window < 1e-20`` the older
    terms change it by less than 1e-20 times the largest value in the series (relative to the
    result, well under float32's 1e-7 that TB stores): the same numbers as the full pass to
    ~1e-12, as smooth_fast promises, for len(at) * window operations instead of len(ys)."""
    lag = np.arange(window)
    idx = at[:, None] - lag[None, :]  # (points, window): k, k-1, ..., k-window+1
    inside = idx >= 0
    terms = np.where(inside, ys[np.clip(idx, 0, None)], 0.0) * np.power(w, lag)[None, :]
    last = (1.0 - w) * terms.sum(axis=1)
    return last / (1.0 - np.power(w, at + 1.0))
