"""Smoothing, per-pixel reduction and message layout: the pure-Python core of the dashboard."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbtb.widgets.messages import (
    MAX_MESSAGE_BYTES, Series, csv_bytes, csv_filename, scalars_appends, scalars_replies,
)
from nbtb.widgets.reduce import reduce_indices
from nbtb.widgets.smoothing import smooth


# -- smoothing (TB data_transformer.ts classicSmoothing) --------------------------------------
def test_smoothing_matches_hand_computed_debiased_ema():
    # w = 0.5: last = .5*0 + .5*1 = .5 -> .5/(1-.5) = 1
    #          last = .5*.5 + .5*2 = 1.25 -> 1.25/(1-.25) = 5/3
    #          last = .5*1.25 + .5*4 = 2.625 -> 2.625/(1-.125) = 3
    out = smooth(np.array([1.0, 2.0, 4.0]), 0.5)
    np.testing.assert_allclose(out, [1.0, 5 / 3, 3.0], rtol=0, atol=1e-15)


def test_first_point_is_unchanged_and_zero_weight_is_identity():
    y = np.array([3.0, -1.0, 7.5, 2.0])
    assert smooth(y, 0.9)[0] == 3.0
    np.testing.assert_array_equal(smooth(y, 0.0), y)


def test_non_finite_values_pass_through_and_do_not_enter_the_average():
    # w = .5 over finite values [1, 3]: 1, then last=.5*.5+.5*3=1.75 -> 1.75/.75
    out = smooth(np.array([1.0, np.nan, 3.0, np.inf]), 0.5)
    assert out[0] == 1.0 and math.isnan(out[1]) and out[3] == np.inf
    assert out[2] == pytest.approx(1.75 / 0.75, abs=1e-15)


def test_constant_series_is_left_alone_and_weight_is_clamped():
    np.testing.assert_array_equal(smooth(np.full(5, 2.5), 0.99), np.full(5, 2.5))
    y = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(smooth(y, -3), y)  # clamped to 0: identity
    # clamped to 1: no debiasing divisor, the average never moves from 0
    np.testing.assert_array_equal(smooth(y, 7), [0.0, 0.0, 0.0])


def test_smoothing_empty_series():
    assert smooth(np.array([]), 0.6).size == 0


# -- reduction -----------------------------------------------------------------------------
def test_short_series_are_kept_whole():
    x = np.arange(100)
    np.testing.assert_array_equal(reduce_indices(x, np.sin(x), width=100), x)


def test_reduction_keeps_extremes_edges_and_every_non_finite_point():
    rng = np.random.default_rng(0)
    n, width = 100_000, 200
    x = np.arange(n)
    y = rng.normal(size=n)
    y[12_345] = 50.0  # a spike
    y[54_321] = -50.0
    y[[7, 99_000]] = [np.nan, np.inf]
    keep = reduce_indices(x, y, width)

    assert len(keep) <= 4 * width + 2
    assert np.all(np.diff(keep) > 0), "indices come back in file order"
    assert {0, n - 1, 12_345, 54_321, 7, 99_000} <= set(keep.tolist())
    # each pixel column keeps its own finite min and max
    col = np.minimum((x * width) // (n - 1), width - 1)
    for c in (0, 57, width - 1):
        in_col = np.flatnonzero((col == c) & np.isfinite(y))
        assert in_col[np.argmin(y[in_col])] in keep
        assert in_col[np.argmax(y[in_col])] in keep


def test_reduction_follows_file_order_when_steps_repeat():
    # a restarted run without purge: steps go 0..999 then 0..999 again
    x = np.concatenate([np.arange(1000), np.arange(1000)])
    y = np.concatenate([np.zeros(1000), np.ones(1000)])
    keep = reduce_indices(x, y, width=10)
    assert keep[0] == 0 and keep[-1] == 1999
    assert set(y[keep]) == {0.0, 1.0}


@pytest.mark.parametrize("seed", range(5))
def test_ordered_fast_path_equals_the_sorting_path(seed):
    from nbtb.widgets import reduce as r

    rng = np.random.default_rng(seed)
    col = np.sort(rng.integers(0, 50, 3000))
    y = rng.integers(-3, 4, col.size).astype(float)  # many ties: any extreme point will do
    y[rng.integers(0, col.size, 40)] = np.nan
    lo, hi = np.where(np.isfinite(y), y, np.inf), np.where(np.isfinite(y), y, -np.inf)
    fast = r._contiguous_groups(col, lo, hi)
    first, last = r._group_ends(col, np.argsort(col, kind="stable"))
    arg_min, _ = r._group_ends(col, np.lexsort((lo, col)))
    _, arg_max = r._group_ends(col, np.lexsort((hi, col)))
    np.testing.assert_array_equal(fast[0], first)
    np.testing.assert_array_equal(fast[1], last)
    for got, want, key in ((fast[2], arg_min, lo), (fast[3], arg_max, hi)):
        np.testing.assert_array_equal(col[got], col[want])  # one per column, same column
        np.testing.assert_array_equal(key[got], key[want])  # and the same extreme value


def test_reduction_of_constant_step():
    keep = reduce_indices(np.zeros(1000), np.arange(1000.0), width=3)
    assert set(keep.tolist()) == {0, 999}


# -- message layout ------------------------------------------------------------------------
def _series(run: str, n: int, reduced: bool = False) -> Series:
    step = np.arange(n, dtype=np.int64)
    sm = np.linspace(0, 1, n) if reduced else None
    return Series(run, step, step * 10.0 + 0.5, np.sqrt(step), smoothed=sm, reduced=reduced, total=n)


def test_reply_buffers_are_little_endian_float64_in_protocol_order():
    [(msg, bufs)] = scalars_replies(7, "loss", [_series("a", 5), _series("b", 3, reduced=True)])
    assert msg == {"kind": "scalars_reply", "request_id": 7, "tag": "loss", "part": 0, "parts": 1,
                   "series": [{"run": "a", "n": 5, "total": 5, "reduced": False, "smoothed": False},
                              {"run": "b", "n": 3, "total": 3, "reduced": True, "smoothed": True}]}
    assert all(isinstance(b, memoryview) for b in bufs)
    assert len(bufs) == 3 + 4  # a: step, wall, value; b: + smoothed
    decoded = [np.frombuffer(b, dtype="<f8") for b in bufs]
    np.testing.assert_array_equal(decoded[0], np.arange(5.0))
    np.testing.assert_array_equal(decoded[1], np.arange(5) * 10.0 + 0.5)
    np.testing.assert_array_equal(decoded[2], np.sqrt(np.arange(5)))
    np.testing.assert_array_equal(decoded[6], np.linspace(0, 1, 3))


def test_empty_reply_is_still_one_message():
    [(msg, bufs)] = scalars_replies(1, "t", [])
    assert msg["series"] == [] and bufs == []


def test_large_replies_split_under_the_limit_and_reassemble():
    limit = 24 * 1000  # 1000 points of 3 buffers per message
    series = [_series("a", 2500), _series("b", 10), _series("c", 700)]
    msgs = scalars_replies(3, "t", series, limit=limit)
    assert len(msgs) > 1
    assert {m["request_id"] for m, _ in msgs} == {3}
    assert [m["part"] for m, _ in msgs] == list(range(len(msgs)))
    for _, bufs in msgs:
        assert sum(b.nbytes for b in bufs) <= limit
    # concatenating the slices of each run in order gives the original series back
    got: dict[str, list[np.ndarray]] = {}
    for m, bufs in msgs:
        for i, h in enumerate(m["series"]):
            got.setdefault(h["run"], []).append(np.frombuffer(bufs[3 * i + 2], "<f8"))
            assert h["total"] == {"a": 2500, "b": 10, "c": 700}[h["run"]]
    for s in series:
        np.testing.assert_array_equal(np.concatenate(got[s.run]), s.value)


def test_default_limit_is_about_four_megabytes():
    msgs = scalars_replies(1, "t", [_series("a", 400_000)])  # 9.6 MB of buffers
    assert len(msgs) == 3
    assert all(sum(b.nbytes for b in bufs) <= MAX_MESSAGE_BYTES for _, bufs in msgs)


def test_append_reset_flag_only_on_the_first_slice():
    s = Series("a", np.arange(50), np.zeros(50), np.ones(50), reset=True)
    msgs = scalars_appends("t", [s], limit=24 * 20)
    flags = [h["reset"] for m, _ in msgs for h in m["series"]]
    assert flags == [True, False, False]
    assert msgs[0][0]["kind"] == "scalars_append" and "request_id" not in msgs[0][0]


def test_csv_holds_exact_floats_and_integer_steps():
    v = np.array([0.1 + 0.2, 1e-300, np.nan])
    data = csv_bytes([("r1", "loss/train", np.array([1, 2, 3]), np.array([1.5, 2.5, 3.5]), v)])
    lines = data.decode().splitlines()
    assert lines[0] == "run,tag,step,wall_time,value"
    assert lines[1] == "r1,loss/train,1,1.5,0.30000000000000004"
    assert float(lines[2].split(",")[-1]) == 1e-300
    assert lines[3].endswith(",nan")
    assert csv_filename("loss/train") == "loss_train.csv"


def test_zoomed_window_carries_the_full_series_smoothing():
    """Smoothing restarted at a zoom's left edge would bend the curve; the window gets the full one."""
    from nbtb.widgets.dashboard import _prepare
    from nbtb.widgets.smoothing import smooth

    step = np.arange(100, dtype=np.int64)
    value = np.cos(step / 7.0)
    s = _prepare("r", step, step * 1.0, value, width=400, weight=0.9, x_min=40, x_max=60)
    assert not s.reduced and s.step[0] == 39 and s.step[-1] == 61  # one neighbour beyond each edge
    np.testing.assert_allclose(s.smoothed, smooth(value, 0.9)[39:62], rtol=1e-11)
    whole = _prepare("r", step, step * 1.0, value, width=400, weight=0.9, x_min=None, x_max=None)
    assert whole.smoothed is None and not whole.reduced  # the browser smooths what it has in full


@pytest.mark.parametrize("seed", range(8))
def test_few_columns_path_keeps_the_same_points(seed, monkeypatch):
    """A static picture reduces to a few columns by binary search; the points kept must be the
    per-point formula's, also where rounding puts a point on a column boundary."""
    from nbtb.widgets import reduce as r

    rng = np.random.default_rng(seed)
    n = int(rng.integers(300, 5000))
    x = np.sort(np.concatenate([rng.uniform(0, 1, n // 2) ** 3 * 1e6,  # irregular spacing
                                np.round(rng.uniform(0, 1e6, n - n // 2), -3)]))  # many ties
    y = rng.normal(size=n)
    y[rng.integers(0, n, 5)] = [np.nan, np.inf, -np.inf, np.nan, 7.0]
    for width in (1, 2, 3, 7, 33, 64):
        fast = reduce_indices(x, y, width)
        monkeypatch.setattr(r, "FEW_COLUMNS", 0)
        slow = reduce_indices(x, y, width)
        monkeypatch.setattr(r, "FEW_COLUMNS", 64)
        np.testing.assert_array_equal(fast, slow, err_msg=f"width {width}")
    edges = np.linspace(0, 1, 11)  # points exactly on the boundaries
    ys = np.cos(edges * 9)
    monkeypatch.setattr(r, "FEW_COLUMNS", 0)
    want = reduce_indices(edges, ys, 2)
    monkeypatch.setattr(r, "FEW_COLUMNS", 64)
    np.testing.assert_array_equal(reduce_indices(edges, ys, 2), want)
