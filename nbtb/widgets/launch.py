"""``nbtb.show(...)``: the Python way to open a dashboard (the magic calls it too)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any, Union

from .dashboard import PENDING, Dashboard, capture_data_loss
from .frames_source import FrameSource, is_frames
from .multi import MultiLogdir, parse_logdir_spec

Selector = Union[str, Sequence[str], "re.Pattern[str]", None]
# What the last dashboard showed: a logdir path, or [(name, path)] from --logdir_spec.
_last_source: str | list[tuple[str, str]] | None = None


def show(logdir: str | os.PathLike | None = None, run: Selector = None, tag: Selector = None,
         reload_interval: float = 5, tab: str = "scalars", **traits: Any) -> Dashboard:
    """Open an inline TensorBoard dashboard over ``logdir`` and return it (it displays itself
    as the cell's result).

    ``run`` preselects runs (checkboxes) and ``tag`` fills the tag filter; both accept an exact
    name, a list of names or a compiled regex, like ``nbtb.load``. Every run and tag stays
    available in the dashboard. ``logdir=None`` reuses the logdir shown last. ``logdir`` may
    also be frames of the loader's shapes (``nbtb.load(...).images[...]``, or a dict of them):
    they are shown as they are, opening on their tab.
    """
    if is_frames(logdir):  # frames the user already has (nbtb.load(...).images[...], ...)
        source = FrameSource(logdir)
        if tab == "scalars" and source.scalars.empty:
            tab = source.first_kind()
        dash = Dashboard(source, reload_interval=0, tab=tab, **traits)
    elif logdir is None:
        if _last_source is None:
            raise ValueError(
                "nbtb.show() needs a logdir the first time: nbtb.show('logs') or "
                "nbtb.show(logdir='path/to/logs'); later calls without one reuse the last logdir.")
        dash = open_dashboard(_last_source, reload_interval=reload_interval, tab=tab, **traits)
    else:
        dash = open_dashboard(os.fspath(logdir), reload_interval=reload_interval, tab=tab, **traits)
    if run is not None:
        dash.selected_runs = select_runs(dash.runs, run)
        dash._follow_new_runs = False  # the user chose: don't add runs that appear later
    if tag is not None:
        dash.tag_filter = tag_regex(tag)
    return dash


def open_dashboard(source: str | list[tuple[str, str]], **traits: Any) -> Dashboard:
    """Load ``source`` (a path, or named paths from ``--logdir_spec``) into a new Dashboard."""
    global _last_source
    paths = [source] if isinstance(source, str) else [p for _, p in source]
    for path in paths:  # remote URLs (s3://, gs://...) are checked by the loader instead
        if "://" in path:
            continue
        if not os.path.exists(path):
            raise FileNotFoundError(f"logdir does not exist: {path}")
        if not os.path.isdir(path):
            raise NotADirectoryError(f"logdir is not a directory: {path}")
    from nbtb import load  # late import: nbtb/__init__ imports this module

    # The model (with the front end's code) goes to the browser first, so the browser loads the
    # code while the kernel reads the logdir; the data follows in one state update.
    label = source if isinstance(source, str) else ",".join(f"{n}:{p}" if n else p for n, p in source)
    dash = Dashboard(PENDING, logdir=label, status="reading the logdir…", **traits)
    damaged: list[str] = []
    try:
        with capture_data_loss(damaged):  # shown in the dashboard's status line
            if isinstance(source, str):
                loaded: Any = load(source)
            else:
                loaded = MultiLogdir([(name, load(path)) for name, path in source], label)
        dash.attach(loaded, load_warnings=damaged)
    except BaseException:
        dash.close()  # no half-made model left in the browser
        raise
    _last_source = source
    return dash


def select_runs(runs: list[str], run: Selector) -> list[str]:
    """The runs matching ``run``: exact name, list of names, or regex (``search``)."""
    if isinstance(run, re.Pattern):
        return [r for r in runs if run.search(r)]
    wanted = {run} if isinstance(run, str) else set(run)
    return [r for r in runs if r in wanted]


def tag_regex(tag: Selector) -> str:
    """A tag filter regex matching exactly what ``tag`` selects in ``nbtb.load``."""
    if isinstance(tag, re.Pattern):
        return tag.pattern
    names = [tag] if isinstance(tag, str) else list(tag)
    return "^(?:" + "|".join(re.escape(n) for n in names) + ")$"


__all__ = ["show", "open_dashboard", "parse_logdir_spec"]
