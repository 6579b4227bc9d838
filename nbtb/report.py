"""``nbtb.save_report``: the dashboard as one self-contained, interactive HTML file.

The page runs the same TypeScript components as the notebook widget (``js/report.ts`` bundles
them with an in-page model): what the kernel would send on request is embedded instead, as one
gzip-compressed binary blob (base64 in a ``<script>`` block) plus a small JSON index. The page
answers the components' requests from it, so smoothing, run selection, zoom, tag filter and step
sliders work with no kernel, no server and no network (a Content-Security-Policy forbids any
fetch). Caps keep the file small: long scalar series are reduced per pixel column (first, last,
min, max: spikes survive), and only the latest images/audio/PR curves and a spread of histogram
steps are kept. Nothing names the user's machine: the logdir shows as its last path component
unless ``include_paths=True``.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

STATIC = Path(__file__).parent / "static"
REPORT_JS = STATIC / "report.js"
REPORT_CSS = STATIC / "report.css"

MAX_POINTS = 1_000  # scalar points kept per (tag, run); longer series are reduced per pixel column
MAX_IMAGES = 5  # latest steps kept per image / audio / PR-curve series
MAX_HISTOGRAMS = 30  # histogram steps kept per series, evenly spread, first and last included
MAX_TEXT = 100  # latest text steps kept per series
MEDIA_PLUGINS = ("images", "audio", "text", "pr_curves")
# The dashboard's settings a report starts with (nbtb.Dashboard's trait defaults unless given).
TRAITS = {"smoothing": 0.6, "x_axis": "step", "y_log": False, "ignore_outliers": True, "tab": "scalars",
          "histogram_mode": "offset", "run_filter": "", "tag_filter": ""}


@dataclass
class ReportInfo:
    """What ``save_report`` wrote: the file, its size, and what the caps dropped."""

    path: str
    bytes: int
    runs: int
    tags: int
    seconds: float
    capped: list[str] = field(default_factory=list)  # human-readable notes about reduced data

    def __str__(self) -> str:
        return f"{self.path} ({self.bytes / 1e6:.2f} MB, {self.runs} runs, {self.tags} tags)"


class _Blob:
    """Binary arrays packed back to back (8-byte aligned) with the smallest exact dtype each.

    Numeric arrays are stored byte-shuffled (all first bytes, then all second bytes, ...), as
    blosc does: neighbouring numbers share their high bytes, so gzip finds long runs (-12 % on the
    benchmark logdir). js/reportdata.ts ``floats`` unshuffles them.
    """

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes, kind: str) -> list:
        ref = [self.size, len(data), kind]
        pad = (-len(data)) % 8
        self.parts.append(bytes(data) + b"\0" * pad)
        self.size += len(data) + pad
        return ref

    def numbers(self, arr: np.ndarray, kind: str) -> list:
        width = arr.dtype.itemsize
        shuffled = np.frombuffer(arr.tobytes(), dtype=np.uint8).reshape(-1, width).T.tobytes()
        return self.add(shuffled, kind)

    def array(self, values: Any) -> list:
        """A float64 array, stored as int32 or float32 when that loses nothing (steps are
        integers, ``simple_value`` scalars are float32), else as float64."""
        a = np.ascontiguousarray(values, dtype=np.float64)
        finite = np.isfinite(a).all()
        if finite and a.size and np.all(a == np.round(a)) and np.abs(a).max() < 2**31:
            return self.numbers(a.astype("<i4"), "i4")
        with np.errstate(over="ignore", invalid="ignore"):
            f4 = a.astype("<f4")
        if np.array_equal(f4.astype(np.float64), a, equal_nan=True):
            return self.numbers(f4, "f4")
        return self.numbers(a.astype("<f8"), "f8")

    def approx(self, values: Any) -> list:
        """float32 even when that rounds: for values only smoothing uses (gap means)."""
        return self.numbers(np.ascontiguousarray(values, dtype="<f4"), "f4")

    def raw(self, data: bytes) -> list:
        return self.add(bytes(data), "u1")

    def payload(self) -> bytes:
        return gzip.compress(b"".join(self.parts), compresslevel=6, mtime=0)


# ---- choosing what goes in ---------------------------------------------------------------------
def _matcher(spec: Any, what: str, known: list[str]):
    """``None`` = all; a string = a regex (searched); a list = exact names (unknown ones raise)."""
    if spec is None:
        return lambda name: True
    if isinstance(spec, str):
        try:
            rx = re.compile(spec)
        except re.error as exc:
            raise ValueError(f"bad {what} regex {spec!r}: {exc}") from None
        return lambda name: rx.search(name) is not None
    names = [str(s) for s in spec]
    missing = [n for n in names if n not in known]
    if missing:
        shown = ", ".join(known[:20]) + (" …" if len(known) > 20 else "")
        raise ValueError(f"no {what} named {', '.join(map(repr, missing))}; {what}s: {shown or 'none'}")
    wanted = set(names)
    return lambda name: name in wanted


def _catalog(source: Any) -> dict[str, dict[str, list[str]]]:
    from .widgets.dashboard import build_catalog
    from .widgets.media import media_catalog

    return {**build_catalog(source.tags), **media_catalog(source)}


def _spread(n: int, k: int) -> np.ndarray:
    """``k`` indices out of ``n`` evenly spread, first and last included (all when n <= k)."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max(k, 2))).astype(np.int64))


# ---- the payload -------------------------------------------------------------------------------
def build_payload(source: Any, *, runs: Any = None, tags: Any = None, max_points: int = MAX_POINTS,
                  max_images: int = MAX_IMAGES, max_histograms: int = MAX_HISTOGRAMS,
                  max_text: int = MAX_TEXT, name: str = "logdir",
                  traits: dict[str, Any] | None = None,
                  selected_runs: list[str] | None = None) -> tuple[dict, bytes, list[str]]:
    """The JSON index, the compressed blob and notes on what the caps dropped."""
    if max_points < 16:
        raise ValueError("max_points must be at least 16")
    if max_images < 1 or max_histograms < 1 or max_text < 1:
        raise ValueError("max_images, max_histograms and max_text must be at least 1")
    all_runs = [str(r) for r in source.runs]
    all_catalog = _catalog(source)
    all_tags = sorted({t for by_tag in all_catalog.values() for t in by_tag})
    run_ok = _matcher(runs, "run", all_runs)
    tag_ok = _matcher(tags, "tag", all_tags)
    keep_runs = [r for r in all_runs if run_ok(r)]
    if not keep_runs:
        raise ValueError(f"no run matches {runs!r}; runs: {', '.join(all_runs[:20]) or 'none'}")
    kept = set(keep_runs)
    catalog: dict[str, dict[str, list[str]]] = {}
    for kind, by_tag in all_catalog.items():
        catalog[kind] = {}
        for tag, tag_runs in by_tag.items():
            rs = [r for r in tag_runs if r in kept]
            # HParams "tags" are the plugin's own records, not user tags: never filtered by --tag.
            if rs and (kind == "hparams" or tag_ok(tag)):
                catalog[kind][tag] = rs
    for kind, attr in (("histograms", "histograms"), ("images", "images"), ("audio", "audio"), ("text", "text"),
                       ("pr_curves", "tensors"), ("hparams", "hparams")):
        # e.g. a --logdir_spec union serves scalars only (checked on the class: the loader's
        # frames are properties decoded on first use)
        if catalog.get(kind) and not hasattr(type(source), attr):
            catalog[kind] = {}
    if not any(catalog[k] for k in catalog if k != "hparams"):
        raise ValueError(f"nothing to export: no data for the chosen runs and tags in {name}")

    from .widgets.reduce import reduce_indices

    blob = _Blob()
    notes: list[str] = []
    index: dict[str, Any] = {"scalars": [], "histograms": [], "media": [], "hparams": None}

    reduced = 0
    for tag, tag_runs in catalog.get("scalars", {}).items():
        for run in tag_runs:
            step, wall, value = (np.asarray(a) for a in source.scalar_series(run, tag))
            total = len(step)
            extra: list = []
            if total > max_points:
                # Per-pixel-column reduction at a quarter of the cap: first, last, min and max of
                # each column, so the reduced series draws the same picture and keeps spikes.
                keep = reduce_indices(step, value, max(max_points // 4, 1))
                gaps, means = gap_summary(value, keep)
                extra = [blob.array(gaps), blob.approx(means)]
                step, wall, value = step[keep], wall[keep], value[keep]
                reduced += 1
            index["scalars"].append([tag, run, total, blob.array(step), blob.array(wall), blob.array(value),
                                     *extra])
    if reduced:
        notes.append(f"{reduced} scalar series reduced to ≤{max_points} points")

    _histograms(source, catalog.get("histograms", {}), blob, index, max_histograms, notes)
    for plugin in MEDIA_PLUGINS:
        cap = max_text if plugin == "text" else max_images
        _media(source, plugin, catalog.get(plugin, {}), blob, index, cap, notes)
    if catalog.get("hparams"):
        from .widgets.media import hparams_table

        columns, rows = hparams_table(source, set(all_catalog.get("scalars", {})))
        index["hparams"] = {"columns": columns, "rows": [r for r in rows if r["run"] in kept]}

    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    n = len(keep_runs)
    status = f"report exported {stamp} · {n} run{'' if n == 1 else 's'}"
    if notes:
        status += " · " + "; ".join(notes)
    unknown = set(traits or {}) - set(TRAITS)
    if unknown:
        raise ValueError(f"unknown dashboard setting(s) {sorted(unknown)}; known: {list(TRAITS)}")
    state = {**TRAITS, **(traits or {})}
    selected = [r for r in (selected_runs if selected_runs is not None else keep_runs) if r in kept]
    index["traits"] = {
        **state,
        "logdir": name,
        "runs": keep_runs,
        "selected_runs": selected,
        "catalog": catalog,
        "reload_interval": 0.0,
        "status": status,
    }
    return index, blob.payload(), notes


def gap_summary(value: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each kept point of a reduced series: how many logged points it stands for (itself and
    the dropped ones since the previous kept point) and the mean of the dropped ones (finite values
    only; the kept value when none). With them the page smooths the reduced series almost exactly
    as TensorBoard smooths the whole one (js/reportdata.ts ``smoothReduced``)."""
    value = np.asarray(value, dtype=np.float64)
    keep = np.asarray(keep, dtype=np.int64)
    finite = np.isfinite(value)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, value, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    start = np.concatenate([[0], keep[:-1] + 1])  # first dropped point before each kept one
    n = counts[keep] - counts[start]
    total = sums[keep] - sums[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(n > 0, total / np.maximum(n, 1), value[keep])
    return keep - start + 1, means


def _histograms(source: Any, by_tag: dict, blob: _Blob, index: dict, cap: int, notes: list[str]) -> None:
    from .widgets.histograms import histogram_series

    if not by_tag:
        return
    frame = source.histograms
    thinned = 0
    for tag, tag_runs in by_tag.items():
        for s in histogram_series(frame, tag, tag_runs):
            keep = _spread(s.n, cap)
            if len(keep) < s.n:
                thinned += 1
                starts, stops = s.offsets[keep].astype(np.int64), s.offsets[keep + 1].astype(np.int64)
                pick = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)]) if len(keep) else \
                    np.zeros(0, np.int64)
                offsets = np.concatenate([[0], np.cumsum(stops - starts)])
                step, wall, left, right, count = (s.step[keep], s.wall_time[keep], s.left[pick],
                                                  s.right[pick], s.count[pick])
            else:
                step, wall, offsets, left, right, count = (s.step, s.wall_time, s.offsets, s.left,
                                                           s.right, s.count)
            refs = [blob.array(a) for a in (step, wall, offsets, left, right, count)]
            index["histograms"].append([tag, s.run, int(len(step)), int(len(left)), refs])
    if thinned:
        notes.append(f"{thinned} histogram series thinned to {cap} steps")


def _media(source: Any, plugin: str, by_tag: dict, blob: _Blob, index: dict, cap: int,
           notes: list[str]) -> None:
    from .widgets.media import media_reply

    if not by_tag:
        return
    capped = 0
    for tag, tag_runs in by_tag.items():
        for run in tag_runs:
            head, _ = media_reply(source, {"plugin": plugin, "tag": tag, "run": run, "step": None})
            steps, walls = head["steps"], head["wall_times"]
            if len(steps) > cap:
                capped += 1
                steps, walls = steps[-cap:], walls[-cap:]
            recorded = []
            for step in steps:
                reply, bufs = media_reply(source, {"plugin": plugin, "tag": tag, "run": run, "step": step})
                refs = [blob.raw(bytes(b)) for b in bufs]  # as the kernel sends them (PR curves: float64)
                recorded.append([int(step), reply["items"], refs])
            index["media"].append([plugin, tag, run, steps, walls, recorded])
    if capped:
        what = {"images": "image", "audio": "audio", "text": "text", "pr_curves": "PR-curve"}[plugin]
        notes.append(f"{capped} {what} series cut to the latest {cap} steps")


# ---- the page ----------------------------------------------------------------------------------
# No fetch of any kind: the page can only run its own inline code and show blob:/data: media.
# worker-src blob: lets the charts draw their lines in a worker made from the page's own bundled
# code (js/linelayer.ts); a blob: worker inherits this policy, so it cannot fetch either.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src blob: data:; media-src blob: data:; worker-src blob:")
PAGE_CSS = """
html, body { margin: 0; height: 100%; }
body { background: #fff; }
@media (prefers-color-scheme: dark) { body { background: #1e1e1e; } }
#nbtb-report .nbtb-side, #nbtb-report .nbtb-content { max-height: calc(100vh - 40px); }
#nbtb-report .nbtb-reload { display: none; }  /* a report never reloads */
#nbtb-report-error { font: 14px sans-serif; color: #b00020; padding: 16px; white-space: pre-wrap; }
"""


def _script_safe(text: str) -> str:
    """Text that cannot close its ``<script>``/``<style>`` element early (``</script``, ``<!--``)."""
    return re.sub(r"<(/?)(script|style|!--)", lambda m: "<\\" + m.group(1) + m.group(2)
                  if m.group(1) else "\\x3C" + m.group(2), text, flags=re.IGNORECASE)


def _bundle() -> tuple[str, str]:
    if not REPORT_JS.is_file():
        from .widgets.dashboard import FrontEndNotBuiltError

        raise FrontEndNotBuiltError(
            f"nbtb's report bundle is missing: {REPORT_JS}. Build the front end from the repository "
            "root with `npm install && npm run build` (or reinstall with `pip install -e .`).")
    css = REPORT_CSS.read_text(encoding="utf-8") if REPORT_CSS.is_file() else ""
    return REPORT_JS.read_text(encoding="utf-8"), css


def render_html(index: dict, data: bytes, title: str) -> str:
    from html import escape

    js, css = _bundle()
    css = css.replace("</", "<\\/")  # a CSS escape of "/": the style block cannot be closed early
    # "<" escaped in the JSON: untrusted tag/run text can never end the <script> block.
    meta = json.dumps(index, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"nbtb\">\n<title>{escape(title)}</title>\n"
        f"<style>{css}</style>\n<style>{PAGE_CSS}</style>\n</head><body>\n"
        "<div id=\"nbtb-report\"></div>\n"
        f"<script type=\"application/json\" id=\"nbtb-report-index\">{meta}</script>\n"
        f"<script type=\"application/octet-stream\" id=\"nbtb-report-data\">"
        f"{base64.b64encode(data).decode('ascii')}</script>\n"
        f"<script type=\"module\">{_script_safe(js)}</script>\n</body></html>\n"
    )


def _name(source: Any, include_paths: bool) -> str:
    path = getattr(source, "path", None)
    parts = getattr(source, "parts", None)
    if parts:  # several logdirs (--logdir_spec name:path,...): their names, not their paths
        names = [str(getattr(lg, "path", label)) if include_paths else str(label) for label, lg in parts]
        return ", ".join(names)
    if path is None:
        return "logdir"
    text = str(path)
    return text if include_paths else (os.path.basename(text.rstrip("/\\")) or text)


def save_report(source: Any, path: str | os.PathLike, *, runs: Any = None, tags: Any = None,
                max_points: int = MAX_POINTS, max_images: int = MAX_IMAGES,
                max_histograms: int = MAX_HISTOGRAMS, max_text: int = MAX_TEXT,
                include_paths: bool = False, traits: dict[str, Any] | None = None,
                selected_runs: list[str] | None = None) -> ReportInfo:
    """Write ``source`` (a logdir path/URL or a loader from ``nbtb.load``) as one interactive HTML
    file: the Scalars, Histograms, Distributions, Images, Text, Audio, PR curves and HParams tabs
    of ``nbtb.Dashboard``, opening offline in any browser.

    ``runs`` / ``tags``: a regex (searched) or a list of exact names; default everything.
    ``max_points``: scalar points per (tag, run), longer series are reduced per pixel column;
    ``max_images``: latest steps per image/audio/PR-curve series; ``max_histograms``: histogram
    steps per series (evenly spread); ``max_text``: latest text steps per series.
    ``include_paths``: show the logdir's full path (default: its last component only).
    ``traits``: initial dashboard settings (smoothing, x_axis, tab, ...); ``selected_runs``: the
    runs ticked when the page opens (default all exported runs).
    """
    start = time.perf_counter()
    if isinstance(source, (str, os.PathLike)):
        from .logdir import load

        source = load(os.fspath(source))
    name = _name(source, include_paths)
    index, data, notes = build_payload(
        source, runs=runs, tags=tags, max_points=max_points, max_images=max_images,
        max_histograms=max_histograms, max_text=max_text, name=name, traits=traits,
        selected_runs=selected_runs)
    html = render_html(index, data, f"nbtb · {name}")
    target = Path(os.fspath(path))
    target.write_text(html, encoding="utf-8")
    catalog = index["traits"]["catalog"]
    n_tags = len({t for k, by_tag in catalog.items() if k != "hparams" for t in by_tag})
    return ReportInfo(str(target), target.stat().st_size, len(index["traits"]["runs"]), n_tags,
                      time.perf_counter() - start, notes)
