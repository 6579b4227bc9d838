"""Graphs as frames: GraphDefs, RunMetadata and Keras model configs → `Graph` (FORMATS.md §5).

A run can hold three kinds of graph, and TensorBoard's Graphs dashboard shows all of them:
- `Event.graph_def`: a GraphDef (tf.summary.graph, TF1 writers, torch `add_graph`). kind "op", tag "".
- RunMetadata, as `Event.tagged_run_metadata` or as a summary of the `graph_run_metadata(_graph)`
  plugins (tf.summary.trace_export): the graphs it carries (function graphs before optimization,
  as TensorBoard's graphs_plugin.py picks them, else partition graphs), and step stats. kind "op",
  tag = its tag. A RunMetadata with no graph (torch's "step1", TF profiles) overlays its stats on
  the run's GraphDef, as TensorBoard's "session run" selector does.
- A Keras model config (`graph_keras_model` plugin, Keras' `write_graph`): a conceptual graph of
  layers, converted the way TensorBoard's keras_util.py converts it. kind "keras", tag = summary tag.

Everything stays serialized in `RunEvents` until a graph is asked for: listing a logdir's graphs
parses each GraphDef once to count its nodes, and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
from google.protobuf.message import DecodeError

from . import tensors
from .bulk import read_varint
from .events import RunEvents
from .proto import graph_pb2, tensor_pb2

NODE_COLUMNS = ["name", "op", "device", "scope", "attrs", "shape"]
EDGE_COLUMNS = ["src", "dst", "kind", "shape"]
STATS_COLUMNS = ["node", "device", "step", "all_start_micros", "op_start_rel_micros", "op_end_rel_micros",
                 "all_end_rel_micros", "thread_id", "timeline_label", "output_shapes"]
LIST_COLUMNS = ["run", "kind", "tag", "nodes"]

RUN_METADATA_PLUGINS = ("graph_run_metadata", "graph_run_metadata_graph")
KERAS_PLUGIN = "graph_keras_model"


def _frame(columns: list[str], rows: dict[str, list] | None = None) -> pd.DataFrame:
    rows = rows or {}
    return pd.DataFrame({c: pd.Series(rows.get(c, []), dtype=object) for c in columns})


def empty_stats() -> pd.DataFrame:
    frame = _frame(STATS_COLUMNS)
    for column in STATS_COLUMNS[2:8]:
        frame[column] = frame[column].astype(np.int64)
    return frame


@dataclass(eq=False, repr=False)
class Graph:
    """One graph of one run: `nodes` and `edges` frames, and `stats` from RunMetadata step stats.

    nodes: name (full `/` path, unique), op (op type; Keras: layer class), device ("" if none),
    scope (the name's parent path, "" at top level), attrs (dict attribute → readable text;
    `_output_shapes` becomes `shape`), shape (first output's shape as "[?, 28, 28, 1]", or None).
    edges: src, dst (node names), kind ("data" or "control"), shape (the producing output's
    shape, or None). Inputs naming a node the graph lacks are dropped, as nothing can be drawn
    for them (torch's traces name module objects, e.g. `Net/Conv2d[conv1]/weight/conv1`).
    The columns `attrs` and `shape` share names with pandas attributes: read them as
    `g.nodes["shape"]`, not `g.nodes.shape`.
    """

    run: str
    kind: str  # "op" | "keras"
    tag: str
    nodes: pd.DataFrame
    edges: pd.DataFrame
    stats: pd.DataFrame = field(default_factory=empty_stats)

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return (f"<nbtb.Graph run={self.run!r} kind={self.kind!r} tag={self.tag!r}: "
                f"{len(self.nodes)} nodes, {len(self.edges)} edges>")


# ---- readable attribute values ---------------------------------------------------------------
_DTYPES = {v: k for k, v in tensor_pb2.DataType.items()}


def shape_text(shape: tensor_pb2.TensorShapeProto) -> str | None:
    """"[?, 28, 28, 1]"; None when even the rank is unknown."""
    if shape.unknown_rank:
        return None
    return "[" + ", ".join(["?" if d.size < 0 else str(d.size) for d in shape.dim]) + "]"


def _shape_list(sizes: list | None) -> str | None:
    """Keras' shape lists ([null, 28, 28, 1]) in the same text as GraphDef shapes."""
    if not isinstance(sizes, (list, tuple)):
        return None
    return "[" + ", ".join(["?" if d is None or (isinstance(d, int) and d < 0) else str(d) for d in sizes]) + "]"


def _tensor_text(t: tensor_pb2.TensorProto) -> str:
    """dtype, shape and, for up to 10 elements, the values (a Const's value reads `DT_INT32 [2] [0, 1]`)."""
    dtype = _DTYPES.get(t.dtype, str(t.dtype))
    shape = shape_text(t.tensor_shape) or "<unknown>"
    try:
        values = tensors.to_numpy(t) if t.ByteSize() < 4096 else None
    except (ValueError, TypeError, KeyError):
        values = None
    if values is not None and 0 < values.size <= 10:
        items = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values.reshape(-1).tolist()]
        return f"{dtype} {shape} {items}"
    return f"{dtype} {shape}"


def _bytes_text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _func_text(f: graph_pb2.NameAttrList) -> str:
    return f.name


def attr_text(value: graph_pb2.AttrValue) -> str:
    """An AttrValue as the text TensorBoard's node info shows: strings as is, dtypes by name, …"""
    kind = value.WhichOneof("value")
    if kind == "s":
        return value.s.decode("utf-8", "replace")
    if kind == "i":
        return str(value.i)
    if kind == "f":
        return repr(value.f)
    if kind == "b":
        return "true" if value.b else "false"
    if kind == "type":
        return _DTYPES.get(value.type, str(value.type))
    if kind == "shape":
        return shape_text(value.shape) or "<unknown>"
    if kind == "tensor":
        return _tensor_text(value.tensor)
    if kind == "func":
        return value.func.name
    if kind == "placeholder":
        return "$" + value.placeholder
    if kind == "list":
        lst = value.list
        for items, fmt in ((lst.s, _bytes_text), (lst.i, str), (lst.f, repr),
                           (lst.b, lambda b: "true" if b else "false"),
                           (lst.type, lambda t: _DTYPES.get(t, str(t))),
                           (lst.shape, lambda s: shape_text(s) or "<unknown>"),
                           (lst.tensor, _tensor_text), (lst.func, _func_text)):
            if len(items):
                return "[" + ", ".join([fmt(x) for x in items]) + "]"
        return "[]"
    return ""


# ---- GraphDef → frames ------------------------------------------------------------------------
def _parse_input(name: str) -> tuple[str, int, bool]:
    """(source node, output index, is control) of a NodeDef input: `n`, `n:k`, `n:out:k`, `^n`."""
    if name.startswith("^"):
        return name[1:], 0, True
    head, sep, last = name.rpartition(":")
    if sep and last.isdigit():
        node = head.split(":", 1)[0]  # `n:out:k` (function bodies) names node n too
        return node, int(last), False
    return name, 0, False


def graph_from_def(graph_def: graph_pb2.GraphDef, run: str = "", kind: str = "op", tag: str = "",
                   stats: pd.DataFrame | None = None) -> Graph:
    # Written for 10,000+ node graphs: each proto field is read once, in comprehensions, and
    # shapes (which repeat a lot) are formatted once per distinct shape.
    nodes = graph_def.node
    names = [n.name for n in nodes]
    ops = [n.op for n in nodes]
    devices = [n.device for n in nodes]
    scopes = [name.rpartition("/")[0] for name in names]
    shape_cache: dict[tuple, str | None] = {}

    def shape_of(shape: tensor_pb2.TensorShapeProto) -> str | None:
        key = (shape.unknown_rank, *[d.size for d in shape.dim])
        text = shape_cache.get(key, "")
        if text == "":
            text = shape_cache[key] = shape_text(shape)
        return text

    attrs: list[dict[str, str]] = []
    out_shapes: dict[str, list[str | None]] = {}
    for name, amap in zip(names, [n.attr for n in nodes]):
        node_attrs = {}
        for key in sorted(amap):
            value = amap[key]
            if key == "_output_shapes":
                out_shapes[name] = [shape_of(s) for s in value.list.shape]
            else:
                node_attrs[key] = attr_text(value)
        attrs.append(node_attrs)
    if stats is not None and len(stats):  # RunMetadata knows shapes the GraphDef may lack
        for node, shapes in zip(stats["node"], stats["output_shapes"]):
            if node not in out_shapes and shapes:
                out_shapes[node] = list(shapes)
    shapes = [(out_shapes.get(name) or [None])[0] for name in names]
    known = set(names)
    src, dst, ekind, eshape = [], [], [], []
    for name, inputs in zip(names, [n.input for n in nodes]):
        for inp in inputs:
            if ":" in inp or inp[:1] == "^":
                source, index, control = _parse_input(inp)
            else:  # the common case: output 0 of a node
                source, index, control = inp, 0, False
            if source not in known:
                continue
            src.append(source)
            dst.append(name)
            ekind.append("control" if control else "data")
            produced = out_shapes.get(source)
            eshape.append(None if control or produced is None or index >= len(produced) else produced[index])
    node_frame = _frame(NODE_COLUMNS, {"name": names, "op": ops, "device": devices, "scope": scopes,
                                       "attrs": attrs, "shape": shapes})
    edge_frame = _frame(EDGE_COLUMNS, {"src": src, "dst": dst, "kind": ekind, "shape": eshape})
    return Graph(run, kind, tag, node_frame, edge_frame, stats if stats is not None else empty_stats())


def merge_graph_defs(graph_defs: list[graph_pb2.GraphDef]) -> graph_pb2.GraphDef:
    """TensorBoard's graph_util.merge_graph_defs: one graph as is, several under `graph_<i>/`.

    (TensorBoard prefixes a control input `^n` as `graph_1/^n`, which then names no node; here it
    becomes `^graph_1/n`, so control edges survive the merge.)
    """
    if len(graph_defs) == 1:
        return graph_defs[0]
    merged = graph_pb2.GraphDef()
    for index, graph_def in enumerate(graph_defs, 1):
        prefix = f"graph_{index}/"
        for node in graph_def.node:
            new = merged.node.add()
            new.CopyFrom(node)
            new.name = prefix + node.name
            new.input[:] = [("^" + prefix + i[1:]) if i.startswith("^") else prefix + i for i in node.input]
    return merged


# ---- RunMetadata ------------------------------------------------------------------------------
def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message, for the few fields nbtb's protos omit."""
    pos, n = 0, len(buf)
    while pos < n:
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            size, pos = read_varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise DecodeError(f"unsupported wire type {wire}")
        yield number, wire, value


def _output_shapes(node_stats: graph_pb2.NodeExecStats) -> list[str | None]:
    """NodeExecStats.output (7: NodeOutput{1 slot, 3 TensorDescription{1 dtype, 2 shape}}), by slot."""
    by_slot: dict[int, str | None] = {}
    raw = node_stats.SerializeToString()  # nbtb's NodeExecStats keeps field 7 as an unknown field
    for number, wire, value in _fields(raw):
        if number != 7 or wire != 2:
            continue
        slot, shape = 0, None
        for n2, w2, v2 in _fields(bytes(value)):
            if n2 == 1 and w2 == 0:
                slot = v2
            elif n2 == 3 and w2 == 2:
                for n3, w3, v3 in _fields(bytes(v2)):
                    if n3 == 2 and w3 == 2:
                        shape = shape_text(tensor_pb2.TensorShapeProto.FromString(bytes(v3)))
        by_slot[slot] = shape
    return [by_slot.get(i) for i in range(max(by_slot) + 1)] if by_slot else []


def stats_frame(run_metadata: graph_pb2.RunMetadata, step: int) -> pd.DataFrame:
    rows = [(s.node_name, dev.device, step, s.all_start_micros, s.op_start_rel_micros, s.op_end_rel_micros,
             s.all_end_rel_micros, s.thread_id, s.timeline_label, _output_shapes(s))
            for dev in run_metadata.step_stats.dev_stats for s in dev.node_stats]
    if not rows:
        return empty_stats()
    frame = pd.DataFrame(rows, columns=STATS_COLUMNS)
    for column in STATS_COLUMNS[2:8]:
        frame[column] = frame[column].astype(np.int64)
    return frame


def run_metadata_graph(run_metadata: graph_pb2.RunMetadata) -> graph_pb2.GraphDef | None:
    """The graph TensorBoard draws for a RunMetadata tag; None when it carries no graph."""
    functions = [f.pre_optimization_graph for f in run_metadata.function_graphs]
    if functions:
        return merge_graph_defs(functions)
    if len(run_metadata.partition_graphs):
        return merge_graph_defs(list(run_metadata.partition_graphs))
    return None


# ---- Keras model config → frames (TensorBoard's plugins/graph/keras_util.py) ----------------------
def _walk_layers(layer: dict, scope: str = "") -> Iterator[tuple[str, dict]]:
    """(name scope, layer config) in preorder; a model's layers sit under the model's name."""
    yield scope, layer
    config = layer.get("config") or {}
    if config.get("layers"):
        inner = f"{scope}/{config.get('name')}" if scope else str(config.get("name"))
        for sub in config["layers"]:
            yield from _walk_layers(sub, inner)


def _scoped(scope: str, name: str) -> str:
    return f"{scope}/{name}" if scope else name


def _inbound(layer: dict) -> list[tuple[str, int, int, str | None]]:
    """(layer name, node index, tensor index, tensor shape) of a layer's inputs.

    Keras 3 writes `{"args": [keras tensors]}` per inbound node (TensorBoard reads only these);
    Keras 2 wrote `[[name, node, tensor, kwargs], …]`, which is read here too.
    """
    found = []
    for node in layer.get("inbound_nodes") or []:
        if isinstance(node, dict):
            stack = list(node.get("args", []))
            while stack:
                arg = stack.pop(0)
                if isinstance(arg, list):
                    stack[:0] = arg
                    continue
                if not isinstance(arg, dict):
                    continue
                config = arg.get("config") or {}
                history = config.get("keras_history") or []
                if len(history) >= 3:
                    found.append((str(history[0]), int(history[1]), int(history[2]), _shape_list(config.get("shape"))))
        elif isinstance(node, list):
            for entry in node:
                if isinstance(entry, list) and len(entry) >= 3:
                    found.append((str(entry[0]), int(entry[1]), int(entry[2]), None))
    return found


def _as_list_of_layers(value: list) -> list:
    return value if value and isinstance(value[0], list) else [value]


def _keras_value(value: Any) -> str:
    """Config values as short text: a serialized Keras object reads `ClassName(k=v, …)`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), dict):
        inner = value["config"]
        if value["class_name"] == "DTypePolicy" and "name" in inner:
            return str(inner["name"])
        return f"{value['class_name']}(" + ", ".join(f"{k}={_keras_value(v)}" for k, v in inner.items()) + ")"
    return json.dumps(value)


def graph_from_keras(model: dict, run: str = "", tag: str = "") -> Graph:
    if not isinstance(model, dict) or not isinstance(model.get("config"), dict):
        raise ValueError("not a Keras model config (no 'config' object)")
    input_to_layer: dict[str, str] = {}
    model_outputs: dict[str, list[str]] = {}
    prev: str | None = None
    names, ops, scopes, attrs, layer_shapes = [], [], [], [], []
    edges: list[tuple[str, str, str | None, int]] = []  # src, dst, shape, tensor index

    def resolve(source: str, index: int) -> str:
        """A model's name stands for its output layers: pick the `index`th (TensorBoard's rule)."""
        candidates = model_outputs.get(source, [source])
        return candidates[index] if index < len(candidates) else candidates[-1]
    for scope, layer in _walk_layers(model):
        config = layer.get("config") or {}
        name = _scoped(scope, str(config.get("name")))
        inbound = _inbound(layer)
        if config.get("layers") is not None:  # a model: only a scope, wired like TensorBoard wires it
            inputs, outputs = config.get("input_layers"), config.get("output_layers")
            functional = bool(inputs and outputs)
            # (TensorBoard links a model fed by another model to that model's name, which is no
            # node; here the feeding model's output layer is the source.)
            if inbound and functional:
                for entry, (src, _, index, _) in zip(_as_list_of_layers(inputs), inbound):
                    input_to_layer[_scoped(name, entry[0])] = resolve(_scoped(scope, src), index)
            elif inbound:
                prev = resolve(_scoped(scope, inbound[0][0]), inbound[0][2])
            elif prev and functional:
                input_to_layer[_scoped(name, _as_list_of_layers(inputs)[0][0])] = prev
            if functional:
                model_outputs[name] = [_scoped(name, e[0]) for e in _as_list_of_layers(outputs)]
            elif config["layers"]:
                last = config["layers"][-1].get("config", {}).get("name")
                model_outputs[name] = [_scoped(name, str(last))]
            continue
        build_input = _shape_list((layer.get("build_config") or {}).get("input_shape"))
        names.append(name)
        ops.append(str(layer.get("class_name", "")))
        scopes.append(scope)
        attrs.append({k: _keras_value(v) for k, v in config.items() if k != "name"})
        layer_shapes.append(_shape_list(config.get("batch_shape", config.get("batch_input_shape"))))
        if layer.get("inbound_nodes") is not None and inbound:
            for src, _, index, shape in inbound:
                edges.append((resolve(_scoped(scope, src), index), name, shape, index))
        elif prev is not None and layer.get("inbound_nodes") is None:
            edges.append((prev, name, build_input, 0))  # Sequential: the previous layer feeds this one
        if name in input_to_layer:
            edges.append((input_to_layer[name], name, None, 0))
        prev = name
    known = set(names)
    edges = [e for e in edges if e[0] in known]
    # A layer's output shape is what its consumers received (output 0), else its declared batch shape.
    out_shape: dict[str, str] = {}
    for src, _, shape, index in edges:
        if shape is not None and index == 0:
            out_shape.setdefault(src, shape)
    shapes = [declared or out_shape.get(n) for n, declared in zip(names, layer_shapes)]
    # An edge that carried no shape of its own (a model boundary) carries its source's output shape.
    by_name = dict(zip(names, shapes))
    edges = [(s, d, shape if shape is not None or i else by_name.get(s), i) for s, d, shape, i in edges]
    nodes = _frame(NODE_COLUMNS, {"name": names, "op": ops, "device": [""] * len(names), "scope": scopes,
                                  "attrs": attrs, "shape": shapes})
    edge_frame = _frame(EDGE_COLUMNS, {"src": [e[0] for e in edges], "dst": [e[1] for e in edges],
                                       "kind": ["data"] * len(edges), "shape": [e[2] for e in edges]})
    return Graph(run, "keras", tag, nodes, edge_frame)


# ---- what a run holds ------------------------------------------------------------------------
@dataclass
class Source:
    """One graph a run holds, still serialized; `load` builds its `Graph`."""

    kind: str  # "op" | "keras"
    tag: str
    origin: str  # "graph_def" | "run_metadata" | "keras"
    payload: bytes
    step: int
    where: tuple[str, int]  # file and byte offset of the record ("", 0) when unknown


def _describe(where: tuple[str, int]) -> str:
    path, offset = where
    return f"{path} (record at byte {offset})" if path else "an event file"


def sources(ev: RunEvents) -> list[Source]:
    """The graphs of one run, the newest of each (kind, tag) (TensorBoard keeps the newest graph)."""
    found: dict[tuple[str, str], Source] = {}
    if ev.graphs:
        step, _, payload, where = ev.graphs[-1]
        found["op", ""] = Source("op", "", "graph_def", payload, step, where)
    for tag, step, _, payload, where in ev.run_metadata:
        found["op", tag] = Source("op", tag, "run_metadata", payload, step, where)
    for code, step, _, seq, plugin, value in ev.rows.get("tensors", []):
        if plugin not in RUN_METADATA_PLUGINS and plugin != KERAS_PLUGIN:
            continue
        data = value.reshape(-1)[0] if getattr(value, "size", 0) else b""
        data = data if isinstance(data, bytes) else str(data).encode()
        kind = "keras" if plugin == KERAS_PLUGIN else "op"
        tag = ev.tag_names[code]
        found[kind, tag] = Source(kind, tag, "keras" if kind == "keras" else "run_metadata", data, step,
                                  ev.graph_summaries.get(seq, ("", 0)))
    return list(found.values())


def _parse(source: Source, parser: Callable[[bytes], Any]) -> Any:
    try:
        return parser(source.payload)
    except (DecodeError, ValueError, UnicodeDecodeError, RuntimeWarning) as exc:
        what = {"graph_def": "GraphDef", "run_metadata": "RunMetadata", "keras": "Keras model JSON"}[source.origin]
        raise ValueError(f"{_describe(source.where)}: unreadable {what} "
                         f"({exc.__class__.__name__}: {exc})") from exc


def load(run: str, source: Source, run_graph: Source | None = None) -> Graph:
    """Build the Graph of one source; `run_graph` (the run's GraphDef) backs a graph-less RunMetadata.

    Raises ValueError naming the file when the bytes do not parse.
    """
    if source.origin == "keras":
        model = _parse(source, lambda b: json.loads(b.decode("utf-8")))
        try:
            return graph_from_keras(model, run, source.tag)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:  # JSON, but not a model config
            raise ValueError(f"{_describe(source.where)}: Keras model JSON of an unknown layout "
                             f"({exc.__class__.__name__}: {exc})") from exc
    if source.origin == "graph_def":
        return graph_from_def(_parse(source, graph_pb2.GraphDef.FromString), run, "op", "")
    metadata = _parse(source, graph_pb2.RunMetadata.FromString)
    stats = stats_frame(metadata, source.step)
    graph_def = run_metadata_graph(metadata)
    if graph_def is None:
        graph_def = (_parse(run_graph, graph_pb2.GraphDef.FromString) if run_graph is not None
                     else graph_pb2.GraphDef())
    return graph_from_def(graph_def, run, "op", source.tag, stats)


def count_nodes(source: Source, run_graph: Source | None) -> int:
    """Nodes of a source's graph, parsing no more than that needs (ValueError when unreadable)."""
    if source.origin == "keras":
        return len(load("", source))
    if source.origin == "graph_def":
        return len(_parse(source, graph_pb2.GraphDef.FromString).node)
    graph_def = run_metadata_graph(_parse(source, graph_pb2.RunMetadata.FromString))
    if graph_def is None:
        return count_nodes(run_graph, None) if run_graph is not None else 0
    return len(graph_def.node)
