"""``nbtb.Dashboard``: TensorBoard's dashboard as one anywidget (docs/protocol.md).

Traits carry small state; scalar series are sent on request as binary buffers (messages.py),
reduced per pixel when long (reduce.py), and extended by a background reload (reloader.py).
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets as t

from .frames_source import FrameSource, is_frames
from .graph import GRAPH_REQUESTS, graph_catalog, graph_message
from .histograms import histogram_replies, histogram_series, unchanged_reply
from .media import MEDIA_REQUESTS, media_catalog, media_messages
from .messages import Series, csv_bytes, csv_reply, scalars_appends, scalars_replies
from .profile import PROFILE_REQUESTS, profile_catalog, profile_messages
from .reduce import needs_reduction, reduce_indices
from .. import live
from .reloader import Reloader
from .smoothing import DEFAULT_SMOOTHING, smooth_fast

STATIC = Path(__file__).parent.parent / "static"
ESM_PATH = STATIC / "dashboard.js"
CSS_PATH = STATIC / "dashboard.css"
CATALOG_KINDS = ("scalars", "histograms", "images", "text", "audio")
MAX_WARNINGS = 20  # remembered for the status line


class FrontEndNotBuiltError(RuntimeError):
    pass


PENDING = object()  # Dashboard(PENDING): a model without data yet (see Dashboard.attach)


_bundle_cache: dict[tuple[str, float, float], tuple[str, str]] = {}


def _bundle() -> tuple[str, str]:
    """The front end's JS and CSS text, re-read only when the files change (npm run build)."""
    if not ESM_PATH.is_file():
        raise FrontEndNotBuiltError(
            f"nbtb's front end is not built: {ESM_PATH} is missing. Build it from the repository "
            "root with `npm install && npm run build` (or reinstall with `pip install -e .`, whose "
            "build hook runs npm)."
        )
    css_mtime = CSS_PATH.stat().st_mtime if CSS_PATH.is_file() else 0.0
    key = (str(ESM_PATH), ESM_PATH.stat().st_mtime, css_mtime)
    if key not in _bundle_cache:
        css = CSS_PATH.read_text(encoding="utf-8") if css_mtime else ""
        _bundle_cache.clear()
        _bundle_cache[key] = (ESM_PATH.read_text(encoding="utf-8"), css)
    return _bundle_cache[key]


class Dashboard(anywidget.AnyWidget):
    """An inline TensorBoard over one loader (``nbtb.load(...)``) or a logdir path.

    Prefer ``nbtb.show(logdir)`` or ``%tensorboard --logdir ...``.
    """

    # No class-level ``_esm = Path(...)``: anywidget turns such a path into a FileContents whose
    # change signal holds a strong reference to every instance (so no dashboard, or its loaded
    # frames, could ever be freed), and it fails at import when the bundle is not built yet.
    # __init__ gives each instance the bundle's text instead (see _bundle).

    logdir = t.Unicode("").tag(sync=True)
    runs = t.List(t.Unicode()).tag(sync=True)
    selected_runs = t.List(t.Unicode()).tag(sync=True)
    catalog = t.Dict().tag(sync=True)
    run_filter = t.Unicode("").tag(sync=True)
    tag_filter = t.Unicode("").tag(sync=True)
    smoothing = t.Float(DEFAULT_SMOOTHING, min=0.0, max=1.0).tag(sync=True)
    x_axis = t.Enum(["step", "relative", "wall_time"], default_value="step").tag(sync=True)
    y_log = t.Bool(False).tag(sync=True)
    ignore_outliers = t.Bool(True).tag(sync=True)
    tab = t.Unicode("scalars").tag(sync=True)
    reload_interval = t.Float(5.0, min=0.0).tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    histogram_mode = t.Enum(["offset", "overlay"], default_value="offset").tag(sync=True)

    def __init__(self, source: Any, *, selected_runs: list[str] | None = None,
                 load_warnings: list[str] | None = None, **traits: Any) -> None:
        """``source``: a logdir path or a loaded logdir (``nbtb.load``); ``selected_runs``: the
        runs initially checked (default all, and runs appearing later get checked too);
        ``load_warnings``: DataLossWarning messages raised while ``source`` was loaded.

        ``source=PENDING`` opens the widget's model before there is data (``attach`` gives it
        later): the browser receives the front-end code and compiles it while the kernel reads.
        """
        self._esm, self._css = _bundle()  # read by AnyWidget.__init__ below
        self._lock = threading.RLock()  # the loader is used by the comm handler and the reloader
        self._requested: set[str] = set()  # scalar tags the browser has asked for
        self._reloader: Reloader | None = None
        self._displayed = False
        self._closed = False
        self._warnings: list[str] = []
        self._source: Any = None
        self._follow_new_runs = True
        if source is PENDING:
            super().__init__(**traits)
        else:
            with self._capture_warnings():
                source = _as_source(source)
            super().__init__(**{**self._traits_for(source, selected_runs), **traits})
            self._attached(source, selected_runs, load_warnings)
        self.on_msg(self._on_msg)

    def attach(self, source: Any, *, selected_runs: list[str] | None = None,
               load_warnings: list[str] | None = None) -> None:
        """Give a dashboard opened with ``PENDING`` its data (a loaded logdir): one state update."""
        with self._capture_warnings():
            source = _as_source(source)
        with self.hold_sync():
            for name, value in self._traits_for(source, selected_runs).items():
                setattr(self, name, value)
            self._attached(source, selected_runs, load_warnings)

    def _traits_for(self, source: Any, selected_runs: list[str] | None) -> dict[str, Any]:
        with self._capture_warnings():
            runs = list(source.runs)
            catalog = {**build_catalog(source.tags), **media_catalog(source),
                       **graph_catalog(source), **profile_catalog(source)}
        return {"logdir": str(getattr(source, "path", "")), "runs": runs, "catalog": catalog,
                "selected_runs": runs if selected_runs is None else list(selected_runs)}

    def _attached(self, source: Any, selected_runs: list[str] | None, load_warnings: list[str] | None) -> None:
        self._source = source
        self._follow_new_runs = selected_runs is None  # TB selects new runs unless user chose
        self._note_warnings(load_warnings or [])
        self.status = self._status_line("loaded")

    # -- lifecycle --------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # Reloading starts when the dashboard is first displayed: undisplayed ones cost nothing.
        self._displayed = True
        self._ensure_reloader()
        from .fallback import add_static  # a static picture for viewers without widgets

        return add_static(self, super()._repr_mimebundle_(**kwargs))

    def close(self) -> None:
        self._closed = True  # before super().close(): no reloader may start afterwards
        self._stop_reloader()
        super().close()

    @t.observe("reload_interval")
    def _on_interval(self, change: dict) -> None:
        self._stop_reloader()
        self._ensure_reloader()

    def _ensure_reloader(self) -> None:
        if self._closed or not self._displayed or self.reload_interval <= 0:
            return
        if self._reloader is None or not self._reloader.alive:
            self._reloader = Reloader(self, self.reload_interval)
            live.watch(self)  # a flush in this kernel (nbtb.Callback, SummaryWriter) wakes it

    # -- live: nbtb.live wakes the reload thread when a writer in this kernel flushes ----------
    def watched_paths(self) -> list[str]:
        parts = getattr(self._source, "parts", None)  # --logdir_spec: several logdirs
        loaders = [lg for _, lg in parts] if parts else [self._source]
        return [str(lg.path) for lg in loaders if hasattr(lg, "grew")]  # loaders reading files

    def wake(self) -> None:
        reloader = self._reloader
        if reloader is not None:
            reloader.wake()

    def _stop_reloader(self) -> None:
        live.unwatch(self)
        reloader = getattr(self, "_reloader", None)  # close() may run from a failed __init__
        if reloader is not None:
            reloader.stop()
            self._reloader = None

    # -- browser requests -------------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: dict, buffers: list) -> None:
        kind = content.get("kind") if isinstance(content, dict) else None
        if kind not in ("scalars_request", "csv_request", "histograms_request", *MEDIA_REQUESTS,
                        *GRAPH_REQUESTS, *PROFILE_REQUESTS) or self._source is None:
            return  # (no source: not attached yet, so no view has a catalog to ask from)
        self._displayed = True  # e.g. shown inside a VBox, where _repr_mimebundle_ is not called
        self._ensure_reloader()
        try:
            if kind == "scalars_request":
                messages = self.scalars_messages(content)
            elif kind in MEDIA_REQUESTS:  # images, audio, text, pr_curves, hparams (media.py)
                messages = media_messages(self, content)
            elif kind == "histograms_request":
                messages = self.histograms_messages(content)
            elif kind in GRAPH_REQUESTS:  # the Graphs tab (graph.py)
                messages = [graph_message(self, content)]
            elif kind in PROFILE_REQUESTS:  # the Profile tab (profile.py): errors come back in the reply
                messages = profile_messages(self, content)
            else:
                messages = [self.csv_message(content)]
        except Exception as exc:  # reply anyway so the browser does not wait forever
            self._report_error(exc)
            reply = histogram_replies if kind == "histograms_request" else scalars_replies
            messages = reply(int(content.get("request_id", 0)), str(content.get("tag", "")), [])
        for msg, bufs in messages:
            self.send(msg, bufs)

    def scalars_messages(self, request: dict) -> list:
        """The ``scalars_reply`` message(s) for a ``scalars_request`` (see docs/protocol.md)."""
        tag = str(request["tag"])
        width = int(min(max(float(request.get("width") or 800), 16), 20000))
        weight = request.get("smoothing")
        weight = self.smoothing if weight is None else float(weight)
        x_min, x_max = request.get("x_min"), request.get("x_max")
        with self._lock:
            self._requested.add(tag)
            have = set(self.catalog.get("scalars", {}).get(tag, []))
            series = [
                _prepare(run, *self._source.scalar_series(run, tag), width, weight, x_min, x_max)
                for run in request.get("runs") or [] if run in have
            ]
        return scalars_replies(int(request.get("request_id", 0)), tag, series)

    def histograms_messages(self, request: dict) -> list:
        """The ``histograms_reply`` message(s) for a ``histograms_request`` (docs/protocol.md)."""
        tag = str(request["tag"])
        runs = [str(r) for r in request.get("runs") or []]
        with self._lock:
            rows_for = getattr(self._source, "rows_for", None)  # decodes only this card's records
            frame = rows_for("histograms", tag, runs) if rows_for else getattr(self._source, "histograms", None)
            series = histogram_series(frame, tag, runs)
        unchanged = unchanged_reply(request, tag, series)  # a reload's refresh that found nothing new
        return [unchanged] if unchanged else histogram_replies(int(request.get("request_id", 0)), tag, series)

    def csv_message(self, request: dict) -> tuple:
        tag = str(request["tag"])
        with self._lock:
            have = set(self.catalog.get("scalars", {}).get(tag, []))
            rows = [(run, tag, *self._source.scalar_series(run, tag))
                    for run in request.get("runs") or [] if run in have]
        return csv_reply(int(request.get("request_id", 0)), tag, csv_bytes(rows))

    # -- export -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, runs: Any = None, tags: Any = None,
             include_paths: bool = False, **caps: Any) -> Any:
        """Write this dashboard as one self-contained HTML file that opens offline in any browser,
        with its current settings (smoothing, axis, open tab, ticked runs). ``runs``/``tags``: a
        regex or a list of exact names; caps: ``max_points``, ``max_images``, ``max_histograms``,
        ``max_text`` (see ``nbtb.report.save_report``). Returns a ``ReportInfo`` (path, size)."""
        from ..report import save_report

        traits = {k: getattr(self, k) for k in ("smoothing", "x_axis", "y_log", "ignore_outliers", "tab",
                                                 "histogram_mode", "run_filter", "tag_filter")}
        with self._lock:
            return save_report(self._source, path, runs=runs, tags=tags, include_paths=include_paths,
                               traits=traits, selected_runs=list(self.selected_runs), **caps)

    # -- reload -----------------------------------------------------------------------------
    def data_waiting(self) -> bool:
        """Cheap check between reloads: did a known event file grow (any writer, any process)?"""
        parts = getattr(self._source, "parts", None)
        loaders = [lg for _, lg in parts] if parts else [self._source]
        return any(getattr(lg, "grew", lambda: False)() for lg in loaders)

    def reload_once(self) -> bool:
        """Read what was appended to the logdir and push it to the browser. True if changed."""
        with self._lock, self._capture_warnings():
            r = self._source.refresh()
            changed = bool(r)
            if changed:
                self._apply_refresh(r)
        self.status = self._status_line("reloaded")
        return changed

    def _apply_refresh(self, r: Any) -> None:
        if r.new_runs:
            runs = list(self._source.runs)
            if self._follow_new_runs:
                fresh = [x for x in runs if x in set(r.new_runs) and x not in self.selected_runs]
                self.selected_runs = [*self.selected_runs, *fresh]
            self.runs = runs
        self.catalog = {**build_catalog(self._source.tags), **media_catalog(self._source),
                       **graph_catalog(self._source), **profile_catalog(self._source)}
        reset = {(str(run), str(tag)) for run, tag in r.reset}
        per_tag: dict[str, list[Series]] = {}
        for run, tag in sorted(reset):
            if tag in self._requested:
                step, wall, value = self._source.scalar_series(run, tag)
                per_tag.setdefault(tag, []).append(
                    Series(run, step, wall, value, total=len(step), reset=True))
        new = r.scalars
        if new is not None and len(new) and self._requested:
            new = new[new["tag"].astype(str).isin(self._requested)]
            for (tag, run), rows in new.groupby(["tag", "run"], observed=True, sort=False):
                if (str(run), str(tag)) in reset:
                    continue  # already sent whole
                per_tag.setdefault(str(tag), []).append(Series(
                    str(run), rows["step"].to_numpy(), rows["wall_time"].to_numpy(),
                    rows["value"].to_numpy(), total=len(rows)))
        for tag, series in per_tag.items():
            for msg, bufs in scalars_appends(tag, series):
                self.send(msg, bufs)

    # -- status -----------------------------------------------------------------------------
    def _report_error(self, exc: BaseException) -> None:
        self.status = f"{time.strftime('%H:%M:%S')} error: {type(exc).__name__}: {exc}"

    def _status_line(self, what: str) -> str:
        n_runs = len(self.runs)
        line = f"{what} {time.strftime('%H:%M:%S')} · {n_runs} run{'' if n_runs == 1 else 's'}"
        if self._warnings:
            n = len(self._warnings)
            line += f" · ⚠ {n} warning{'s' if n > 1 else ''}: {self._warnings[-1]}"
        return line

    @contextmanager
    def _capture_warnings(self) -> Iterator[None]:
        caught: list[str] = []
        try:
            with capture_data_loss(caught):
                yield
        finally:
            self._note_warnings(caught)

    def _note_warnings(self, texts: list[str]) -> None:
        for text in texts:  # newest last, each once
            self._warnings = [w for w in self._warnings if w != text] + [text]
        self._warnings = self._warnings[-MAX_WARNINGS:]


@contextmanager
def capture_data_loss(sink: list[str]) -> Iterator[None]:
    """Collect the loader's DataLossWarning messages into ``sink`` (for the status line).

    catch_warnings is process-wide on Python < 3.14, so other warnings raised meanwhile (by any
    thread) are re-issued rather than swallowed.
    """
    try:  # late import: nbtb/__init__ imports this module
        from nbtb import DataLossWarning
    except ImportError:  # loader not importable: nothing is a data-loss warning
        DataLossWarning = type("_NoWarning", (Warning,), {})

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            records = list(caught)
    for w in records:
        if issubclass(w.category, DataLossWarning):
            sink.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _as_source(source: Any) -> Any:
    """A logdir path → its loader; a frame (or frames) of the loader's shapes → a FrameSource."""
    if isinstance(source, (str, os.PathLike)):
        from nbtb import load

        return load(os.fspath(source))
    if is_frames(source):
        return FrameSource(source)
    return source


def build_catalog(tags: Any) -> dict[str, dict[str, list[str]]]:
    """``{"scalars": {tag: [run, ...]}, "histograms": {...}, ...}`` from the loader's ``tags``."""
    catalog: dict[str, dict[str, list[str]]] = {kind: {} for kind in CATALOG_KINDS}
    if tags is None or not len(tags):
        return catalog
    for kind, tag, run in zip(tags["kind"].astype(str), tags["tag"].astype(str),
                              tags["run"].astype(str)):
        if kind in catalog:
            catalog[kind].setdefault(tag, []).append(run)
    return {kind: {tag: sorted(set(runs)) for tag, runs in sorted(by_tag.items())}
            for kind, by_tag in catalog.items()}


def _prepare(run: str, step: np.ndarray, wall: np.ndarray, value: np.ndarray, width: int,
             weight: float, x_min: float | None, x_max: float | None) -> Series:
    """Cut one series to the requested step range and reduce it if it is long."""
    if x_min is not None or x_max is not None:
        inside = np.ones(len(step), dtype=bool)
        if x_min is not None:
            inside &= step >= x_min
        if x_max is not None:
            inside &= step <= x_max
        # keep one neighbour on each side so lines run to the edges of a zoomed chart
        inside[1:] |= inside[:-1].copy()
        inside[:-1] |= inside[1:].copy()
        idx = np.flatnonzero(inside)
    else:
        idx = np.arange(len(step))
    total = int(idx.size)
    windowed = total < len(step)
    if not needs_reduction(total, width):
        if not windowed:  # the browser has every point and smooths them itself
            return Series(run, step[idx], wall[idx], value[idx], total=total)
        # A zoomed window: smoothing restarted at its left edge would bend the curve there, so
        # send the full series' smoothing, as TensorBoard shows it when zoomed.
        return Series(run, step[idx], wall[idx], value[idx], smoothed=smooth_fast(value, weight, at=idx),
                      total=total)
    keep = idx[reduce_indices(step[idx], value[idx], width)]
    # TensorBoard's smoothing of the FULL series, finished at the kept points only (smooth_fast:
    # TB's recurrence in closed form, equal to ~1e-12 relative, ~10x faster than point by point)
    smoothed = smooth_fast(value, weight, at=keep)
    return Series(run, step[keep], wall[keep], value[keep], smoothed=smoothed, reduced=True, total=total)
