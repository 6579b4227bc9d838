"""A static picture of a dashboard's scalar cards, for places where widgets don't run.

A displayed ``Dashboard`` adds ``image/svg+xml`` and ``text/html`` to its output bundle (see
``add_static``). Front ends that run widgets show the widget, which they rank first; GitHub's
notebook viewer, nbconvert HTML/PDF of a notebook saved without widget state, and a
JupyterLab without the kernel show this picture instead.

The picture is drawn here as plain SVG (no JavaScript, no network, no extra dependency) from the
same points as ``Logdir.plot`` (nbtb/plot.py): the dashboard's run colours, its smoothing
weight, run selection, tag filter and x axis, long series reduced per pixel column. Its size is
bounded: at most ``MAX_CARDS`` cards and ``MAX_POINTS`` points in all (a few hundred KB at most).
"""

from __future__ import annotations

import math
import os
import re
import time
from html import escape
from typing import Any

import numpy as np

MAX_CARDS = 12  # scalar tags drawn; the rest are counted in the caption
MAX_POINTS = 8_000  # points drawn over all cards and runs (raw + smoothed lines count once each)
MAX_LEGEND = 24  # runs named in the legend
CARD_W, CARD_H = 320, 190
PAD_L, PAD_R, PAD_T, PAD_B = 52, 10, 24, 22
GAP = 12
COLUMNS = 3
MARKER = "nbtb-static-fallback"  # class of the root elements, for tests and user CSS


def add_static(widget: Any, bundle: Any) -> Any:
    """``bundle`` (a widget's ``_repr_mimebundle_``) with the static picture added.

    Never fails the display: on any error the bundle is returned unchanged. Set
    ``nbtb.Dashboard.static_fallback = False`` (class or instance) to skip it.
    """
    if not getattr(widget, "static_fallback", True):
        return bundle
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    if not isinstance(data, dict):
        return bundle
    try:
        extra = static_bundle(widget)
    except Exception:  # a picture is a nicety; the widget must display regardless
        return bundle
    data.update(extra)
    return bundle


def static_bundle(widget: Any) -> dict[str, str]:
    """``{"image/svg+xml": ..., "text/html": ...}`` of what ``widget`` (a Dashboard) shows."""
    from ..plot import points, run_colors, scalar_tags

    lock = getattr(widget, "_lock", None)
    source = widget._source
    selected = set(widget.selected_runs)
    pattern = _matcher(widget.tag_filter)
    x = widget.x_axis
    smoothing = float(widget.smoothing)
    if lock is not None:
        lock.acquire()
    try:
        every = scalar_tags(source)
        series = {}
        for tag, runs in every.items():
            runs = [r for r in runs if r in selected]
            if runs and pattern(tag):
                series[tag] = runs
        shown = dict(list(series.items())[:MAX_CARDS])
        n_lines = 2 if smoothing > 0 else 1
        df = points(source, smoothing=smoothing, x=x, width=CARD_W - PAD_L - PAD_R,
                    max_points=max(MAX_POINTS // n_lines, 2), series=shown)
    finally:
        if lock is not None:
            lock.release()
    name = os.path.basename(str(getattr(widget, "logdir", "")).rstrip("/\\")) or "logdir"
    caption = f"nbtb · {name} · {len(selected)} run{'s' * (len(selected) != 1)} · "
    caption += f"{len(series)} scalar tag{'s' * (len(series) != 1)}"
    if len(series) > len(shown):
        caption += f" ({len(series) - len(shown)} more not drawn)"
    caption += f" · smoothing {smoothing:g} · static snapshot {time.strftime('%Y-%m-%d %H:%M')}"
    svg = render_svg(df, list(shown), x=x, smoothing=smoothing, caption=caption,
                     colors=run_colors(widget.runs))
    note = ("Static snapshot of an nbtb dashboard; the interactive dashboard needs a running "
            "kernel with widgets.")
    html = (f'<div class="{MARKER}" title="{escape(note)}">{svg}'
            f'<div style="font:11px sans-serif;color:#888">{escape(note)}</div></div>')
    return {"image/svg+xml": svg, "text/html": html}


def _matcher(pattern: str):
    """js/filter.ts ``makeMatcher``: case-insensitive regex, plain substring if it doesn't compile."""
    if not pattern:
        return lambda s: True
    try:
        rx = re.compile(pattern, re.IGNORECASE)
        return lambda s: rx.search(s) is not None
    except re.error:
        low = pattern.lower()
        return lambda s: low in s.lower()


# ---- SVG -----------------------------------------------------------------------------------
def render_svg(df: Any, tags: list[str], *, x: str = "step", smoothing: float = 0.0, caption: str = "",
               columns: int = COLUMNS, colors: dict[str, str] | None = None) -> str:
    """One SVG of scalar cards (a grid, ``columns`` a row) from ``nbtb.plot.points`` rows.

    ``colors``: the dashboard's colours (``nbtb.plot.run_colors`` over all its runs, not only
    the drawn ones); by default those of the drawn runs.
    """
    from ..plot import run_colors

    n = max(len(tags), 1)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    runs = sorted(df["run"].unique()) if len(df) else []
    palette = run_colors(runs, keep=colors)
    run_color = palette.__getitem__
    legend_rows = math.ceil(min(len(runs), MAX_LEGEND + 1) / 4) if runs else 0
    top = 20 if caption else 0
    width = cols * CARD_W + (cols - 1) * GAP + 2
    grid_h = rows * CARD_H + (rows - 1) * GAP
    height = top + grid_h + (8 + legend_rows * 16 if legend_rows else 0) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="{MARKER}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" fill="#444">',
           f"<title>{escape(caption or 'nbtb scalars')}</title>",
           '<rect width="100%" height="100%" fill="#fff"/>']
    if caption:
        out.append(f'<text x="0" y="13" font-size="11" fill="#666">{escape(caption)}</text>')
    groups = _split({c: df[c].to_numpy() for c in ("tag", "run", "x", "value", "smoothed")}, "tag") \
        if len(df) else {}
    for i, tag in enumerate(tags):
        ox = 1 + (i % cols) * (CARD_W + GAP)
        oy = top + (i // cols) * (CARD_H + GAP)
        out.append(_card(groups.get(tag), tag, ox, oy, x, smoothing, run_color))
    if not tags:
        out.append(f'<text x="8" y="{top + 30}" fill="#888">no scalar data to show</text>')
    if runs:
        ly = top + grid_h + 8
        for j, run in enumerate(runs[:MAX_LEGEND]):
            lx, lyy = (j % 4) * (width / 4), ly + (j // 4) * 16
            out.append(f'<rect x="{lx:.0f}" y="{lyy + 2}" width="10" height="10" fill="{run_color(run)}"/>'
                       f'<text x="{lx + 14:.0f}" y="{lyy + 11}">{escape(_clip(run, 40))}</text>')
        if len(runs) > MAX_LEGEND:
            j = MAX_LEGEND
            out.append(f'<text x="{(j % 4) * (width / 4):.0f}" y="{ly + (j // 4) * 16 + 11}" fill="#888">'
                       f"+{len(runs) - MAX_LEGEND} more</text>")
    out.append("</svg>")
    return "".join(out)


def _card(rows: Any, tag: str, ox: float, oy: float, x: str, smoothing: float, run_color) -> str:
    pw, ph = CARD_W - PAD_L - PAD_R, CARD_H - PAD_T - PAD_B
    px, py = ox + PAD_L, oy + PAD_T
    parts = [f'<g class="card"><rect x="{ox}" y="{oy}" width="{CARD_W}" height="{CARD_H}" rx="4" '
             f'fill="none" stroke="#ddd"/>',
             f'<text x="{ox + 8}" y="{oy + 15}" font-size="11" font-weight="bold" fill="#333">'
             f"{escape(_clip(tag, 50))}</text>"]
    if rows is None or not len(rows["x"]):
        parts.append("</g>")
        return "".join(parts)
    xs = rows["x"].astype(np.float64)
    ys = np.concatenate([rows["value"].astype(np.float64), rows["smoothed"].astype(np.float64)])
    ys = ys[np.isfinite(ys)]
    xs_f = xs[np.isfinite(xs)]
    x0, x1 = (float(xs_f.min()), float(xs_f.max())) if xs_f.size else (0.0, 1.0)
    y0, y1 = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
    if x1 <= x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 <= y0:
        pad = abs(y0) * 0.1 or 1.0
        y0, y1 = y0 - pad, y1 + pad
    else:
        pad = (y1 - y0) * 0.05
        y0, y1 = y0 - pad, y1 + pad

    def sx(v):
        return px + (v - x0) / (x1 - x0) * pw

    def sy(v):
        return py + ph - (v - y0) / (y1 - y0) * ph

    for k in range(3):  # grid and y ticks at bottom, middle, top
        v = y0 + (y1 - y0) * k / 2
        yy = sy(v)
        parts.append(f'<line x1="{px}" x2="{px + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>'
                     f'<text x="{px - 4}" y="{yy + 3:.1f}" text-anchor="end">{_fmt(v)}</text>')
    for v, anchor in ((x0, "start"), (x1, "end")):
        parts.append(f'<text x="{sx(v):.1f}" y="{py + ph + 14}" text-anchor="{anchor}">{_fmt_x(v, x)}</text>')
    parts.append(f'<rect x="{px}" y="{py}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>')
    for run, g in _split(rows, "run").items():  # sorted by run name
        color = run_color(run)
        gx = g["x"].astype(np.float64)
        if smoothing > 0:
            parts.append(_path(gx, g["value"].astype(np.float64), sx, sy, color, 1, 0.25))
        parts.append(_path(gx, g["smoothed"].astype(np.float64), sx, sy, color, 1.5, 1))
    parts.append("</g>")
    return "".join(parts)


def _split(cols: dict[str, np.ndarray], key: str) -> dict[str, dict[str, np.ndarray]]:
    """Columns split by the values of ``cols[key]`` (sorted), rows keeping their order: a numpy
    stand-in for a pandas groupby, whose per-group cost dominated a picture of 256 series."""
    names, which = np.unique(cols[key].astype(str), return_inverse=True)
    order = np.argsort(which, kind="stable")
    bounds = np.cumsum(np.bincount(which, minlength=len(names)))[:-1]
    pieces = {c: np.split(v[order], bounds) for c, v in cols.items()}
    return {str(name): {c: pieces[c][i] for c in cols} for i, name in enumerate(names)}


def _path(xs: np.ndarray, ys: np.ndarray, sx, sy, color: str, width: float, opacity: float) -> str:
    """A polyline broken at non-finite values (drawn as gaps); a lone point becomes a dot."""
    ok = np.isfinite(xs) & np.isfinite(ys)
    X, Y = sx(xs), sy(ys)
    d = []
    run = 0  # points in the current segment
    for good, a, b in zip(ok, X, Y):
        if not good:
            if run == 1:
                d.append("h0")
            run = 0
            continue
        d.append(f"{'L' if run else 'M'}{a:.1f} {b:.1f}")
        run += 1
    if run == 1:
        d.append("h0")
    if not d:
        return ""
    alpha = "" if opacity == 1 else f' stroke-opacity="{opacity}"'
    return (f'<path d="{"".join(d)}" fill="none" stroke="{color}" stroke-width="{width}"{alpha} '
            'stroke-linecap="round" stroke-linejoin="round"/>')


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.2e}"
    return f"{v:.4g}"


def _fmt_x(v: float, x: str) -> str:
    if x == "wall_time":
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(v))
    if x == "relative":
        return f"{v:.0f}s" if v < 120 else f"{v / 60:.1f}m" if v < 7200 else f"{v / 3600:.1f}h"
    return f"{v:,.0f}"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
