"""TensorBoard's scalar smoothing (FORMATS.md §7), in numpy.

The browser smooths series it received whole; the kernel smooths only series it reduced, because
smoothing the kept points alone would give a different curve than smoothing the full series.
Both sides must therefore compute the same numbers: this is a line-by-line port of TB's
``classicSmoothing`` (webapp/widgets/line_chart_v2/data_transformer.ts).
"""

from __future__ import annotations

import itertools

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
    y = np.asarray(values, dtype=np.float64)
    out = y.copy()
    if y.size == 0:
        return out
    w = min(max(float(weight), 0.0), 1.0)
    if np.all(y == y[0]):
        return out
    finite = np.isfinite(y)
    ys = y[finite]
    if ys.size == 0:
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
