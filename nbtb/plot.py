"""Altair charts of a logdir's scalars (``Logdir.plot``), and the tidy points they draw.

The points are what the dashboard shows: each run keeps the colour the front end gives it
(js/colors.ts: FNV-1a of the run name into the same palette, no two of twelve runs alike), smoothing is TensorBoard's
debiased EMA over the *full* series (widgets/smoothing.py, vectorised here: ``smooth_fast``), and
long series are reduced per pixel column (widgets/reduce.py) so a chart stays small
whatever the series length.
The static fallback of a displayed dashboard (widgets/fallback.py) draws the same points.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from .logdir import Selector, matcher
from .widgets.smoothing import smooth_fast
from .widgets.reduce import needs_reduction, reduce_indices


# js/colors.ts, in the same order: a run's colour is PALETTE[fnv1a(run) % len(PALETTE)].
PALETTE: tuple[str, ...] = (
    "#ff7043", "#0077bb", "#12b5cb", "#e52592", "#f9ab00", "#9334e6",
    "#7cb342", "#cc3311", "#009988", "#e8710a", "#5c7cfa", "#8e98a3",
)
X_AXES = ("step", "relative", "wall_time")
DEFAULT_WIDTH = 320  # px of one chart; also the pixel columns a series is reduced to
DEFAULT_HEIGHT = 200
COLUMNS = ("tag", "run", "step", "wall_time", "x", "value", "smoothed")


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 encoding of ``text`` (js/colors.ts ``fnv1a``)."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def run_color(run: str) -> str:
    """A run's own colour, its hash slot in the palette: what ``run_colors`` gives it when free."""
    return PALETTE[fnv1a(run) % len(PALETTE)]


def run_colors(runs: Iterable[str], keep: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{run: colour}`` as the dashboard draws a logdir's runs (js/colors.ts ``assignColors``).

    Each run, in sorted order, takes from its own hash slot onwards the first colour that the
    fewest runs already have: twelve runs or fewer never share a colour, and a run keeps its
    hash colour whenever it is free. ``keep`` (colours already given) stays as it is. (JS sorts
    by UTF-16 code unit, Python by code point: the two orders differ only between characters
    above U+FFFF and U+E000-U+FFFF.)
    """
    out = dict(keep or {})
    used = [0] * len(PALETTE)
    for colour in out.values():
        if colour in PALETTE:
            used[PALETTE.index(colour)] += 1
    for run in sorted(set(runs)):
        if run in out:
            continue
        start = fnv1a(run) % len(PALETTE)
        best = min(range(len(PALETTE)), key=lambda k: (used[(start + k) % len(PALETTE)], k))
        slot = (start + best) % len(PALETTE)
        used[slot] += 1
        out[run] = PALETTE[slot]
    return out


def scalar_tags(source: Any, tag: Selector = None, run: Selector = None) -> dict[str, list[str]]:
    """``{tag: [run, ...]}`` of the scalar series ``source`` holds that the selectors keep, sorted."""
    tags = source.tags
    out: dict[str, list[str]] = {}
    if tags is None or not len(tags):
        return out
    want_tag, want_run = matcher(tag), matcher(run)
    scalars = tags[tags["kind"].astype(str) == "scalars"]
    for t, r in zip(scalars["tag"].astype(str), scalars["run"].astype(str)):
        if want_tag(t) and want_run(r):
            out.setdefault(t, []).append(r)
    return {t: sorted(set(rs)) for t, rs in sorted(out.items())}


def series_points(step: np.ndarray, wall: np.ndarray, value: np.ndarray, *, smoothing: float = 0.0,
                  x: str = "step", width: int = DEFAULT_WIDTH, max_points: int | None = None
                  ) -> dict[str, np.ndarray]:
    """One series' points to draw: smoothed over the full series, then reduced to ``width`` pixel
    columns (first/last/min/max per column), then, if still longer, thinned to ``max_points``."""
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}, not {x!r}")
    step = np.asarray(step)
    wall = np.asarray(wall, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    if x == "step":
        xs = step.astype(np.float64)
    elif x == "relative":
        xs = wall - wall[0] if wall.size else wall.copy()
    else:
        xs = wall
    keep = np.arange(step.size)
    if needs_reduction(step.size, width) and np.all(np.isfinite(xs)):
        keep = reduce_indices(xs, value, width)
    if max_points is not None and keep.size > max_points:
        keep = keep[np.unique(np.linspace(0, keep.size - 1, max(int(max_points), 2)).round().astype(np.int64))]
    # smoothed over the full series, finished only at the kept points
    smoothed = smooth_fast(value, smoothing, at=keep) if smoothing > 0 else value[keep]
    return {"step": step[keep], "wall_time": wall[keep], "x": xs[keep], "value": value[keep],
            "smoothed": smoothed}


def points(source: Any, tag: Selector = None, run: Selector = None, *, smoothing: float = 0.0,
           x: str = "step", width: int = DEFAULT_WIDTH, max_points: int | None = None,
           series: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The tidy points (``COLUMNS``) of every selected scalar series, ready to draw.

    ``max_points`` bounds the total over all series (each gets an equal share); ``series``
    (``{tag: [run, ...]}``) overrides the selectors.
    """
    if series is None:
        series = scalar_tags(source, tag, run)
    n_series = sum(len(runs) for runs in series.values())
    share = None if max_points is None or not n_series else max(2, int(max_points) // n_series)
    if share is not None:  # reduction keeps up to 4 points per column; no use asking for more
        width = max(1, min(width, share // 4))
    parts: list[tuple[str, str, dict[str, np.ndarray]]] = []
    for t, runs in series.items():
        for r in runs:
            step, wall, value = source.scalar_series(r, t)
            if len(step):
                parts.append((t, r, series_points(step, wall, value, smoothing=smoothing, x=x, width=width,
                                                  max_points=share)))
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object if c in ("tag", "run") else float) for c in COLUMNS})
    # one frame at the end: a frame per series costs more than the points of a picture
    sizes = [len(cols["step"]) for _, _, cols in parts]
    data: dict[str, Any] = {"tag": np.repeat(np.array([t for t, _, _ in parts], dtype=object), sizes),
                            "run": np.repeat(np.array([r for _, r, _ in parts], dtype=object), sizes)}
    for column in COLUMNS[2:]:
        data[column] = np.concatenate([cols[column] for _, _, cols in parts])
    return pd.DataFrame(data)[list(COLUMNS)]


def plot(source: Any, tag: Selector = None, run: Selector = None, smoothing: float = 0.0, x: str = "step", *,
         width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT, columns: int = 3,
         max_points: int | None = 50_000):
    """An Altair chart of scalars: one chart per tag (faceted, ``columns`` a row), a line per run in
    the dashboard's colour. ``smoothing`` in [0, 1) draws TensorBoard's smoothed line over a faded
    raw one. ``x``: ``"step"``, ``"relative"`` (hours since the run's first point) or
    ``"wall_time"``. ``tag``/``run`` take a name, a list of names or a compiled regex.
    Long series are reduced per pixel column; ``max_points`` caps the chart's total points.
    """
    import altair as alt

    if not 0.0 <= float(smoothing) <= 1.0:
        raise ValueError(f"smoothing must be in [0, 1], not {smoothing!r}")
    series = scalar_tags(source, tag, run)
    if not series:
        available = sorted(scalar_tags(source))
        raise ValueError(f"no scalar series matches tag={tag!r}, run={run!r}; scalar tags: "
                         + (", ".join(available[:20]) + (" …" if len(available) > 20 else "") or "none"))
    df = points(source, smoothing=smoothing, x=x, width=width, max_points=max_points, series=series)
    for column in ("value", "smoothed"):  # JSON has no inf; Vega-Lite leaves a gap at null
        df[column] = df[column].where(np.isfinite(df[column]))
    runs = sorted(df["run"].unique())
    colours = run_colors(getattr(source, "runs", None) or runs)  # the dashboard's, over every run
    color = alt.Color("run:N", scale=alt.Scale(domain=runs, range=[colours[r] for r in runs]),
                      legend=alt.Legend(title="run", symbolOpacity=1, symbolStrokeWidth=2))
    if x == "wall_time":
        df["x"] = pd.to_datetime(df["wall_time"], unit="s", utc=True)
        x_enc = alt.X("x:T", title="wall time (UTC)")
    elif x == "relative":
        df["x"] = df["x"] / 3600.0
        x_enc = alt.X("x:Q", title="relative time (hours)")
    else:
        x_enc = alt.X("step:Q", title="step")
    df = df.drop(columns=["wall_time"] + (["x"] if x == "step" else []))  # smaller embedded data
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".6g")]
    base = alt.Chart().encode(x=x_enc, color=color, detail="run:N")
    line = base.mark_line(strokeWidth=1.5, clip=True).encode(
        y=alt.Y("smoothed:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=[*tooltip, alt.Tooltip("smoothed:Q", format=".6g")] if smoothing > 0 else tooltip)
    layers = [line]
    if smoothing > 0:
        raw = base.mark_line(strokeWidth=1, opacity=0.25, clip=True).encode(
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)))
        layers = [raw, line]
    tags = list(series)
    if len(tags) == 1:
        return alt.layer(*layers, data=df).properties(width=width, height=height, title=tags[0])
    chart = alt.layer(*layers, data=df).properties(width=width, height=height)
    return chart.facet(facet=alt.Facet("tag:N", title=None, sort=tags), columns=columns).resolve_scale(
        x="independent", y="independent")
