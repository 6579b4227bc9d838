"""Kernel side of the Images, Text, Audio, PR curves and HParams tabs (docs/protocol.md).

A ``media_request`` names one plugin, tag, run and step (``null`` = the newest); the reply lists
every step the series has (for the slider) and carries that step's items, each as one binary
buffer: the encoded image or audio bytes exactly as logged, the text as UTF-8 markdown, a PR
curve as float64 arrays. Nothing is sent for a card the browser does not show.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .messages import MAX_MESSAGE_BYTES, Message, f64_buffer

MEDIA_REQUESTS = ("media_request", "hparams_request")
PLUGINS = ("images", "audio", "text", "pr_curves")
IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "gif": "image/gif",
              "webp": "image/webp", "bmp": "image/bmp"}


def sniff_audio(data: bytes) -> str:
    """The MIME type of encoded audio, from its first bytes (TensorBoard stores it per value)."""
    head = bytes(data[:12])
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return "audio/wav"


def sniff_image(data: bytes, fmt: str) -> str:
    head = bytes(data[:12])
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:4] == b"GIF8":
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return IMAGE_MIME.get(str(fmt).lower(), "application/octet-stream")


class SeriesIndex:
    """Row positions of each (run, tag) in a frame, rebuilt only when the loader's frame changes."""

    def __init__(self) -> None:
        self._frame: Any = None
        self._index: dict[tuple[str, str], np.ndarray] = {}

    def rows(self, frame: Any, run: str, tag: str) -> np.ndarray:
        if frame is not self._frame:
            self._index = {}
            if len(frame):
                groups = frame.groupby([frame["run"].astype(str), frame["tag"].astype(str)], sort=False).indices
                self._index = {(str(r), str(t)): np.asarray(ix) for (r, t), ix in groups.items()}
            self._frame = frame
        return self._index.get((run, tag), np.empty(0, dtype=np.int64))


_indexes: dict[tuple[int, str], SeriesIndex] = {}


def _index_for(source: Any, plugin: str) -> SeriesIndex:
    key = (id(source), plugin)
    if key not in _indexes:
        if len(_indexes) > 64:
            _indexes.clear()
        _indexes[key] = SeriesIndex()
    return _indexes[key]


def _frame(source: Any, plugin: str) -> Any:
    if plugin == "pr_curves":
        t = source.tensors
        return t[t["plugin"].astype(str) == "pr_curves"] if len(t) else t
    return getattr(source, plugin)


def media_reply(source: Any, request: dict) -> Message:
    """The ``media_reply`` for one ``media_request``."""
    plugin = str(request.get("plugin"))
    tag, run = str(request.get("tag", "")), str(request.get("run", ""))
    header: dict[str, Any] = {"kind": "media_reply", "request_id": int(request.get("request_id", 0)),
                              "plugin": plugin, "tag": tag, "run": run, "steps": [], "wall_times": [],
                              "step": None, "items": []}
    if plugin not in PLUGINS:
        header["error"] = f"unknown plugin {plugin!r}"
        return header, []
    rows_for = getattr(source, "rows_for", None)
    frame = None if plugin in ("images", "audio") and rows_for else _frame(source, plugin)
    if frame is None:  # images and audio: decode only this card's records (nbtb.Logdir.rows_for)
        sub = rows_for(plugin, tag, [run])
    elif plugin == "pr_curves":
        rows = frame.index.to_numpy()[(frame["run"].astype(str) == run).to_numpy()
                                       & (frame["tag"].astype(str) == tag).to_numpy()] if len(frame) else []
        sub = frame.loc[rows] if len(rows) else frame.iloc[:0]
    else:
        sub = frame.iloc[_index_for(source, plugin).rows(frame, run, tag)]
    if not len(sub):
        return header, []
    steps_all = sub["step"].to_numpy().astype(np.int64)
    steps, first = np.unique(steps_all, return_index=True)
    walls = sub["wall_time"].to_numpy()[first]
    want = request.get("step")
    if want is None or not len(steps):
        chosen = int(steps[-1])
    else:
        i = int(np.argmin(np.abs(steps - float(want))))
        chosen = int(steps[i])
    header["steps"] = [int(s) for s in steps]
    header["wall_times"] = [float(w) for w in walls]
    header["step"] = chosen
    known_last, known_count = request.get("known_last"), request.get("known_count")
    if known_last is not None and known_count is not None and int(steps[-1]) == int(known_last) \
            and len(steps) == int(known_count):
        header["unchanged"] = True  # a reload brought nothing new to this series: send no bytes
        return header, []
    at = sub[steps_all == chosen]
    if "index" in at.columns:
        at = at.sort_values("index", kind="stable")
    items: list[dict[str, Any]] = []
    buffers: list[memoryview] = []
    for k, row in enumerate(at.itertuples(index=False)):
        rec = row._asdict()
        index = int(rec.get("index", k))
        if plugin == "images":
            data = bytes(rec["data"])
            items.append({"index": index, "width": int(rec["width"]), "height": int(rec["height"]),
                          "format": str(rec["format"]), "mime": sniff_image(data, rec["format"])})
            buffers.append(memoryview(data))
        elif plugin == "audio":
            data = bytes(rec["data"])
            items.append({"index": index, "sample_rate": float(rec["sample_rate"]), "mime": sniff_audio(data)})
            buffers.append(memoryview(data))
        elif plugin == "text":
            items.append({"index": index, "mime": "text/markdown"})
            buffers.append(memoryview(str(rec["text"]).encode("utf-8")))
        else:  # pr_curves: rows TP, FP, TN, FN, precision, recall, each of n thresholds
            value = np.asarray(rec["value"], dtype=np.float64)
            value = value.reshape(6, -1) if value.ndim != 2 else value
            items.append({"index": index, "n": int(value.shape[1])})
            buffers.extend(f64_buffer(value[j]) for j in range(6))
    header["items"] = items
    return header, buffers


def _plain(v: Any) -> Any:
    """A JSON value for a table cell: NaN/None -> None, numpy scalars -> Python."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(float(v)) else float(v)
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def hparams_table(source: Any, metric_tags: set[str] | None = None) -> tuple[list[dict], list[dict]]:
    """Columns (``{"name", "type": "hparam"|"metric"}``) and rows (``{"run", "values"}``) of the
    loader's ``hparams`` frame. A column is a metric when it is a scalar tag of the logdir."""
    frame = source.hparams
    if metric_tags is None:
        tags = source.tags
        metric_tags = set(tags[tags["kind"].astype(str) == "scalars"]["tag"].astype(str)) if len(tags) else set()
    names = [c for c in frame.columns if c != "run"]
    columns = [{"name": str(c), "type": "metric" if str(c) in metric_tags else "hparam"} for c in names]
    # hyperparameters first, then metrics, each in the frame's order
    order = sorted(range(len(names)), key=lambda i: columns[i]["type"] == "metric")
    columns = [columns[i] for i in order]
    rows = []
    for rec in frame.itertuples(index=False, name=None):
        values = list(rec[1:]) if list(frame.columns)[:1] == ["run"] else list(rec)
        rows.append({"run": str(rec[0]), "values": [_plain(values[i]) for i in order]})
    rows.sort(key=lambda r: r["run"])
    return columns, rows


def hparams_reply(source: Any, request: dict, metric_tags: set[str] | None = None) -> Message:
    columns, rows = hparams_table(source, metric_tags)
    return ({"kind": "hparams_reply", "request_id": int(request.get("request_id", 0)),
             "columns": columns, "rows": rows}, [])


def split_reply(reply: Message, limit: int = MAX_MESSAGE_BYTES) -> list[Message]:
    """A ``media_reply`` cut between items into parts under ``limit`` bytes (``part``/``parts``
    added; the browser joins them). An item is never cut: one larger than ``limit`` goes alone."""
    header, buffers = reply
    items = header.get("items") or []
    if sum(len(b) for b in buffers) <= limit or len(items) < 2:
        return [reply]
    per_item = len(buffers) // len(items)  # 1 per image/audio/text, 6 per PR curve
    groups: list[list[int]] = [[]]
    size = 0
    for k in range(len(items)):
        cost = sum(len(b) for b in buffers[k * per_item:(k + 1) * per_item])
        if groups[-1] and size + cost > limit:
            groups.append([])
            size = 0
        groups[-1].append(k)
        size += cost
    return [({**header, "items": [items[k] for k in group], "part": part, "parts": len(groups)},
             [b for k in group for b in buffers[k * per_item:(k + 1) * per_item]])
            for part, group in enumerate(groups)]


def media_messages(widget: Any, request: dict) -> list[Message]:
    """Reply to a media or hparams request; never raises (an error goes back in the reply)."""
    kind = request.get("kind")
    try:
        with widget._lock:
            if kind == "hparams_request":
                metric_tags = set(widget.catalog.get("scalars", {}))
                return [hparams_reply(widget._source, request, metric_tags)]
            return split_reply(media_reply(widget._source, request))
    except Exception as exc:  # the browser must not wait forever
        report = getattr(widget, "_report_error", None)
        if report is not None:
            report(exc)
        base = {"request_id": int(request.get("request_id", 0) or 0), "error": f"{type(exc).__name__}: {exc}"}
        if kind == "hparams_request":
            return [({"kind": "hparams_reply", "columns": [], "rows": [], **base}, [])]
        return [({"kind": "media_reply", "plugin": request.get("plugin"), "tag": request.get("tag"),
                  "run": request.get("run"), "steps": [], "wall_times": [], "step": None, "items": [],
                  **base}, [])]


def media_catalog(source: Any) -> dict[str, dict[str, list[str]]]:
    """``{"pr_curves": {tag: [run, ...]}, "hparams": {tag: [run, ...]}}``: the catalog entries of the
    PR curves and HParams tabs. PR curves are tensors of the pr_curves plugin (the loader's ``tags``
    frame calls every tensor "tensors"); tensor data is decoded only when some exists."""
    tags = source.tags
    out: dict[str, dict[str, list[str]]] = {"pr_curves": {}, "hparams": {}}
    if tags is None or not len(tags):
        return out
    kinds = tags["kind"].astype(str)
    hp: dict[str, set[str]] = {}
    for tag, run in zip(tags["tag"][kinds == "hparams"].astype(str), tags["run"][kinds == "hparams"].astype(str)):
        hp.setdefault(tag, set()).add(run)
    out["hparams"] = {tag: sorted(runs) for tag, runs in sorted(hp.items())}
    if not (kinds == "tensors").any():
        return out
    t = source.tensors
    t = t[t["plugin"].astype(str) == "pr_curves"] if len(t) else t
    pr: dict[str, set[str]] = {}
    for tag, run in zip(t["tag"].astype(str), t["run"].astype(str)):
        pr.setdefault(tag, set()).add(run)
    out["pr_curves"] = {tag: sorted(runs) for tag, runs in sorted(pr.items())}
    return out
