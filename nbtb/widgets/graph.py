"""Kernel side of the Graphs tab (docs/protocol.md, "graph_request" / "graph_reply").

The catalog lists, per graph kind, the runs whose graph has nodes (from the loader's ``graphs``
frame). A ``graph_request`` names a run and a kind; the reply carries the whole graph as one
UTF-8 JSON buffer of columns (node names once, edges as node indices, devices as a table), which
the browser groups, lays out and draws itself. Attribute values are cut to ``ATTR_MAX`` characters:
a Const's tensor text can be megabytes and the panel shows only the beginning anyway.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np

from .messages import Message

GRAPH_REQUESTS = ("graph_request",)
KINDS = ("op", "keras")
ATTR_MAX = 240


def _graphs_frame(source: Any) -> Any:
    frame = getattr(source, "graphs", None)  # --logdir_spec sources have no graphs
    return frame if frame is not None and len(frame) else None


def graph_catalog(source: Any) -> dict[str, dict]:
    """``{"graphs": {"op": [run, ...], "keras": [run, ...]}, "graph_tags": {"op": {run: [tag, ...]},
    "keras": {...}}}``: the runs whose graph has nodes, and each run's graphs of a kind ("" is the
    run's GraphDef; RunMetadata and Keras summaries have tags), in the loader's order."""
    frame = _graphs_frame(source)
    runs: dict[str, list[str]] = {k: [] for k in KINDS}
    tags: dict[str, dict[str, list[str]]] = {k: {} for k in KINDS}
    if frame is not None:
        having = frame[frame["nodes"].to_numpy() > 0]
        for run, kind, tag in zip(having["run"].astype(str), having["kind"].astype(str), having["tag"].astype(str)):
            if kind in tags:
                tags[kind].setdefault(run, []).append(tag)
        for kind in KINDS:
            runs[kind] = sorted(tags[kind])
    return {"graphs": runs, "graph_tags": tags}


def _pick_tag(source: Any, run: str, kind: str, tag: Any = None) -> str | None:
    """``tag`` when given, else the tag of the run's first graph of ``kind`` with nodes (the GraphDef
    before RunMetadata graphs)."""
    if tag is not None:
        return str(tag)  # the loader raises LookupError naming the run if it has no such graph
    frame = _graphs_frame(source)
    if frame is None:
        return None
    rows = frame[(frame["run"] == run) & (frame["kind"] == kind) & (frame["nodes"] > 0)]
    return str(rows["tag"].iloc[0]) if len(rows) else None


def _cut(text: str) -> str:
    return text if len(text) <= ATTR_MAX else text[: ATTR_MAX - 1] + "…"


def graph_payload(graph: Any) -> tuple[bytes, int, int]:
    """The wire form of an ``nbtb.Graph``: (UTF-8 JSON bytes, nodes, edges sent).

    Edges whose ends are not nodes are left out (the loader already drops them; this keeps a
    hand-made Graph from pointing the browser outside its node list).
    """
    nodes, edges = graph.nodes, graph.edges
    names = [str(n) for n in nodes["name"]]
    index = {n: i for i, n in enumerate(names)}
    devices: dict[str, int] = {}
    device = [devices.setdefault(str(d or ""), len(devices)) for d in nodes["device"]]
    shapes = [None if s is None or (isinstance(s, float) and np.isnan(s)) else str(s) for s in nodes["shape"]]
    attrs = [{str(k): _cut(str(v)) for k, v in (a or {}).items()} for a in nodes["attrs"]]
    src, dst, control, eshape = [], [], [], []
    for s, d, k, sh in zip(edges["src"], edges["dst"], edges["kind"], edges["shape"]):
        i, j = index.get(str(s)), index.get(str(d))
        if i is None or j is None:
            continue
        src.append(i)
        dst.append(j)
        control.append(1 if k == "control" else 0)
        eshape.append(None if sh is None or (isinstance(sh, float) and np.isnan(sh)) else str(sh))
    wire = {
        "nodes": {"name": names, "op": [str(o) for o in nodes["op"]], "device": device,
                  "devices": list(devices), "shape": shapes, "attrs": attrs},
        "edges": {"src": src, "dst": dst, "control": control, "shape": eshape},
    }
    data = json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return data, len(names), len(src)


def _header(request: dict) -> dict[str, Any]:
    return {"kind": "graph_reply", "request_id": int(request.get("request_id", 0)),
            "run": str(request.get("run", "")), "graph_kind": str(request.get("graph_kind", "op")),
            "tag": None, "error": None, "nodes": 0, "edges": 0}


def graph_reply(source: Any, request: dict) -> Message:
    """The ``graph_reply`` for one ``graph_request``; a missing or damaged graph is an error reply."""
    header = _header(request)
    run, kind = header["run"], header["graph_kind"]
    if kind not in KINDS:
        header["error"] = f"unknown graph kind {kind!r}: expected 'op' or 'keras'"
        return header, []
    try:
        tag = _pick_tag(source, run, kind, request.get("tag"))
        graph = source.graph(run, kind=kind, tag=tag)
        data, n, m = graph_payload(graph)
    except (LookupError, ValueError) as exc:  # no such graph, or a damaged one (named by the loader)
        header["error"] = str(exc)
        return header, []
    header.update(tag=graph.tag, nodes=n, edges=m)
    return header, [data]


def first_graph(catalog: dict, run: str = "") -> tuple[str, str] | None:
    """The (run, kind) the Graphs tab opens first, as js/graph/graphtab.ts picks it: ``run`` when it
    has a graph, else the first run with one; its op graph when it has one, else its Keras graph."""
    graphs = catalog.get("graphs", {})
    runs = sorted({*graphs.get("op", []), *graphs.get("keras", [])})
    if not runs:
        return None
    chosen = run if run in runs else runs[0]
    return chosen, "op" if chosen in graphs.get("op", []) else "keras"


class Prefetch:
    """One graph reply built ahead, in a thread, while the browser is still loading the widget:
    ``nbtb.GraphView`` knows which graph it will be asked for. Used once, then forgotten."""

    def __init__(self, source: Any, lock: Any, run: str, kind: str) -> None:
        self._key = (run, kind)
        self._message: Message | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._build, args=(source, lock), daemon=True,
                                        name="nbtb-graph-prefetch")
        self._thread.start()

    def _build(self, source: Any, lock: Any) -> None:
        try:
            with lock:
                self._message = graph_reply(source, {"run": self._key[0], "graph_kind": self._key[1]})
        finally:
            self._done.set()

    def take(self, request: dict) -> Message | None:
        """The reply for ``request`` if it is the prefetched graph (waiting for it if needed)."""
        if (str(request.get("run", "")), str(request.get("graph_kind", ""))) != self._key \
                or request.get("tag") is not None:
            return None
        self._done.wait()
        message, self._message = self._message, None
        if message is None:
            return None
        header, buffers = message
        return {**header, "request_id": int(request.get("request_id", 0))}, buffers


def graph_message(widget: Any, request: dict) -> Message:
    """A dashboard's reply to a ``graph_request``: the prefetched one when it matches."""
    prefetch = widget.__dict__.get("_graph_prefetch")
    if prefetch is not None:
        message = prefetch.take(request)
        widget._graph_prefetch = None  # one use: a later request may follow a reload
        if message is not None:
            return message
    try:
        with widget._lock:
            return graph_reply(widget._source, request)
    except Exception as exc:  # any failure still answers the tab, which would wait forever otherwise
        return {**_header(request), "error": f"cannot read the graph: {type(exc).__name__}: {exc}"}, []
