"""Graphs: `Logdir.graphs` lists them, `Logdir.graph(run)` opens one as node / edge / stats frames.

Every graph here comes from a real writer and is checked against TensorBoard's own reading of it:
- torch `add_graph` (torch.utils.tensorboard, at test time) of a small conv net and of a model with
  three identical residual blocks; the reference is TensorBoard's EventAccumulator `Graph()`.
- tf.summary (tests/data/tf2_summaries, TensorFlow 2.21): an `Event.graph_def` and a
  `tf.summary.trace_export` RunMetadata; reference: EventAccumulator and graphs_plugin's merge.
- Keras' `write_graph` JSON (tests/data/keras_sweep) and Keras 3 `model.to_json()` of a nested model
  (at test time); reference: TensorBoard's keras_util.keras_model_to_graph_def.
- RunMetadata step stats: torch's FileWriter.add_graph writes a (GraphDef, RunMetadata) pair the test
  builds with TensorBoard's protos (TF, the only producer of node stats, is not installed).
"""

from __future__ import annotations

import json
import os
import re
import warnings

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

import nbtb  # noqa: E402
from nbtb.logdir import DataLossWarning  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data")
NODE_COLUMNS = ["name", "op", "device", "scope", "attrs", "shape"]
EDGE_COLUMNS = ["src", "dst", "kind", "shape"]


# ---- references: TensorBoard's own reading ---------------------------------------------------
def tb_graph(run_dir: str):
    """The GraphDef TensorBoard's EventAccumulator keeps for a run (the newest Event.graph_def)."""
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(run_dir)
    acc.Reload()
    return acc.Graph()


def tb_shape(shape) -> str:
    return "[" + ", ".join("?" if d.size < 0 else str(d.size) for d in shape.dim) + "]"


def tb_edge_list(graph_def) -> list[tuple[str, str, str]]:
    """(src, dst, kind) per input that names a node of the graph, parsed with TB graph.ts' regex."""
    names = {n.name for n in graph_def.node}
    edges = []
    for node in graph_def.node:
        for inp in node.input:
            control = inp.startswith("^")
            m = re.match(r"^([^:]+):((\w+:|)\d+)$", inp[1:] if control else inp)
            src = m.group(1) if m else (inp[1:] if control else inp)
            if src in names:
                edges.append((src, node.name, "control" if control else "data"))
    return edges


def tb_edges(graph_def) -> set[tuple[str, str, str]]:
    return set(tb_edge_list(graph_def))


def frame_edges(graph) -> set[tuple[str, str, str]]:
    return set(zip(graph.edges["src"], graph.edges["dst"], graph.edges["kind"]))


def assert_matches_graph_def(graph, graph_def) -> None:
    """Nodes in the GraphDef's order with its names, ops, devices; edges as its inputs say."""
    nodes = graph.nodes
    assert list(nodes.columns) == NODE_COLUMNS and list(graph.edges.columns) == EDGE_COLUMNS
    assert nodes["name"].tolist() == [n.name for n in graph_def.node]
    assert nodes["op"].tolist() == [n.op for n in graph_def.node]
    assert nodes["device"].tolist() == [n.device for n in graph_def.node]
    assert nodes["scope"].tolist() == [n.name.rpartition("/")[0] for n in graph_def.node]
    for row, node in zip(nodes.itertuples(), graph_def.node):
        assert set(row.attrs) == set(node.attr) - {"_output_shapes"}
        shapes = node.attr["_output_shapes"].list.shape if "_output_shapes" in node.attr else []
        assert row.shape == (tb_shape(shapes[0]) if shapes else None), node.name
    # One edge per input, in input order: an op reading a node twice has two edges.
    assert list(zip(graph.edges["src"], graph.edges["dst"], graph.edges["kind"])) == tb_edge_list(graph_def)


# ---- torch add_graph ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch_logdir(tmp_path_factory):
    import torch
    from torch import nn
    from torch.utils.tensorboard import SummaryWriter

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3)
            self.bn = nn.BatchNorm2d(4)
            self.fc = nn.Linear(4 * 26 * 26, 10)

        def forward(self, x):
            return self.fc(torch.relu(self.bn(self.conv1(x))).flatten(1))

    class Block(nn.Module):
        def __init__(self, c=4):
            super().__init__()
            self.conv = nn.Conv2d(c, c, 3, padding=1)
            self.bn = nn.BatchNorm2d(c)

        def forward(self, x):
            return torch.relu(x + self.bn(self.conv(x)))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(1, 4, 3, padding=1)
            self.blocks = nn.Sequential(Block(), Block(), Block())
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            return self.head(self.blocks(self.stem(x)).mean((2, 3)))

    root = tmp_path_factory.mktemp("torch_graphs")
    torch.manual_seed(0)
    with SummaryWriter(str(root / "conv")) as w:
        w.add_graph(ConvNet(), torch.zeros(2, 1, 28, 28))
    with SummaryWriter(str(root / "res")) as w:
        w.add_graph(ResNet().eval(), torch.zeros(1, 1, 8, 8))
    with SummaryWriter(str(root / "scalars_only")) as w:
        w.add_scalar("loss", 1.0, 0)
    return str(root)


def test_torch_conv_net_graph_equals_what_torch_logged(torch_logdir):
    ld = nbtb.load(torch_logdir)
    ref = tb_graph(os.path.join(torch_logdir, "conv"))
    g = ld.graph("conv")
    assert (g.run, g.kind, g.tag, len(g)) == ("conv", "op", "", len(ref.node))
    assert isinstance(g, nbtb.Graph)
    assert repr(g) == f"<nbtb.Graph run='conv' kind='op' tag='': {len(ref.node)} nodes, {len(g.edges)} edges>"
    assert_matches_graph_def(g, ref)
    nodes = g.nodes.set_index("name")
    # What the model makes: a 3x3 conv on 28x28 gives [2, 4, 26, 26]; fc gives [2, 10].
    assert nodes.loc["input/x", "shape"] == "[2, 1, 28, 28]"
    conv = nodes[nodes["op"] == "aten::_convolution"]
    assert conv["shape"].item() == "[2, 4, 26, 26]" and conv["scope"].item() == "ConvNet/Conv2d[conv1]"
    assert nodes[nodes["op"] == "aten::linear"]["shape"].item() == "[2, 10]"
    assert all(set(a) == {"attr"} for a in g.nodes["attrs"])  # torch's one attr; _output_shapes became shape
    # Edges carry the producing output's shape: conv output → batch_norm.
    bn = nodes[nodes["op"] == "aten::batch_norm"].index.item()
    into_bn = g.edges[(g.edges["dst"] == bn) & (g.edges["src"] == conv.index.item())]
    assert into_bn["shape"].tolist() == ["[2, 4, 26, 26]"]
    assert set(g.edges["kind"]) == {"data"}
    # torch names module objects as inputs (`…/weight/conv1`), which are no nodes: those are dropped.
    dangling = {i for n in ref.node for i in n.input} - set(g.nodes["name"])
    assert dangling and not dangling & set(g.edges["src"])


def test_torch_repeated_blocks_keep_their_scopes_and_skip_connections(torch_logdir):
    ld = nbtb.load(torch_logdir)
    ref = tb_graph(os.path.join(torch_logdir, "res"))
    g = ld.graph("res")
    assert_matches_graph_def(g, ref)
    nodes = g.nodes
    outputs = {}
    for k in range(3):
        scope = f"ResNet/Sequential[blocks]/Block[{k}]"
        block = nodes[nodes["name"].str.startswith(scope + "/")]
        aten = block[block["op"].str.startswith("aten::")]
        assert sorted(aten["op"]) == ["aten::_convolution", "aten::add", "aten::batch_norm", "aten::relu"]
        assert set(aten["shape"]) == {"[1, 4, 8, 8]"}
        add = aten[aten["op"] == "aten::add"]["name"].item()
        assert nodes.set_index("name").loc[add, "scope"] == scope
        outputs[k] = (aten[aten["op"] == "aten::relu"]["name"].item(), add,
                      aten[aten["op"] == "aten::batch_norm"]["name"].item())
    stem = nodes[nodes["name"].str.startswith("ResNet/Conv2d[stem]/") & (nodes["op"] == "aten::_convolution")]
    previous = stem["name"].item()
    for k in range(3):  # block k adds its input (the previous block's output) to its batch norm
        relu, add, bn = outputs[k]
        constants = set(nodes[nodes["op"] == "prim::Constant"]["name"])  # aten::add's alpha=1
        assert set(g.edges[g.edges["dst"] == add]["src"]) - constants == {previous, bn}
        previous = relu


def test_torch_listing_and_the_step1_run_metadata(torch_logdir):
    ld = nbtb.load(torch_logdir)
    listing = ld.graphs
    assert list(listing.columns) == ["run", "kind", "tag", "nodes"]
    n_conv = len(tb_graph(os.path.join(torch_logdir, "conv")).node)
    n_res = len(tb_graph(os.path.join(torch_logdir, "res")).node)
    # torch adds TaggedRunMetadata "step1" (no graph, no node stats): it overlays the run's GraphDef.
    assert listing.values.tolist() == [["conv", "op", "", n_conv], ["conv", "op", "step1", n_conv],
                                       ["res", "op", "", n_res], ["res", "op", "step1", n_res]]
    step1 = ld.graph("conv", tag="step1")
    assert step1.tag == "step1" and step1.nodes["name"].tolist() == ld.graph("conv").nodes["name"].tolist()
    assert step1.stats.empty and list(step1.stats.columns)[:4] == ["node", "device", "step", "all_start_micros"]


def test_a_run_without_graph_raises_lookup_error_naming_runs_with_graphs(torch_logdir):
    ld = nbtb.load(torch_logdir)
    with pytest.raises(LookupError, match=r"run 'scalars_only' has no graph; runs with graphs: \['conv', 'res'\]"):
        ld.graph("scalars_only")
    with pytest.raises(LookupError, match=r"run 'nope' has no graph"):
        ld.graph("nope")
    with pytest.raises(LookupError, match=r"run 'conv' has no graph with kind='keras'; runs with graphs"):
        ld.graph("conv", kind="keras")


# ---- TensorFlow fixtures -------------------------------------------------------------------------
def test_tf_graph_def_and_trace_export_run_metadata():
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.compat.proto import config_pb2
    from tensorboard.plugins.graph import graph_util

    logdir = os.path.join(DATA, "tf2_summaries")
    ld = nbtb.load(logdir)
    ref = tb_graph(os.path.join(logdir, "custom"))
    # tf2_summaries' README: tf.summary.graph of a tiny tf.function, and trace_export "tiny_block_trace".
    assert ld.graphs.values.tolist() == [["custom", "op", "", len(ref.node)],
                                         ["custom", "op", "tiny_block_trace", 11]]
    g = ld.graph("custom")
    assert_matches_graph_def(g, ref)
    nodes = g.nodes.set_index("name")
    assert nodes.loc["x", "attrs"] == {"_user_specified_name": "x", "dtype": "DT_FLOAT", "shape": "[4, 5]"}
    assert nodes.loc["MatMul", "shape"] == "[4, 3]" and nodes.loc["Const", "attrs"]["value"] == "DT_INT32 [2] [0, 1]"
    assert g.edges.set_index(["src", "dst"]).loc[("MatMul", "add"), "shape"] == "[4, 3]"

    acc = event_accumulator.EventAccumulator(os.path.join(logdir, "custom"),
                                             size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    blob = acc.Tensors("tiny_block_trace")[0].tensor_proto.string_val[0]
    metadata = config_pb2.RunMetadata.FromString(blob)
    expected = graph_util.merge_graph_defs([f.pre_optimization_graph for f in metadata.function_graphs])
    traced = ld.graph("custom", tag="tiny_block_trace")
    assert (traced.kind, traced.tag, len(traced)) == ("op", "tiny_block_trace", len(expected.node))
    assert_matches_graph_def(traced, expected)


def test_keras_write_graph_json_as_tensorboard_converts_it():
    from tensorboard.plugins.graph import keras_util

    import tensorboard_reference

    logdir = os.path.join(DATA, "keras_sweep")
    ld = nbtb.load(logdir)
    models = tensorboard_reference.read(logdir)["graph_keras_model"]
    runs = sorted(run for run, _ in models)
    assert runs == ["lr_0.001/train", "lr_0.01/train", "lr_0.1/train"]
    assert ld.graphs.values.tolist() == [[run, "keras", "keras", 5] for run in runs]
    for (run, tag), events in models.items():
        config = json.loads(events[-1][2].item())
        expected = keras_util.keras_model_to_graph_def(config)
        g = ld.graph(run)  # no op graph in these runs: the default is the conceptual graph
        assert (g.kind, g.tag) == ("keras", tag)
        assert g.nodes["name"].tolist() == [n.name for n in expected.node]
        assert g.nodes["op"].tolist() == [n.attr["keras_class"].s.decode() for n in expected.node]
        assert frame_edges(g) == {(i, n.name, "data") for n in expected.node for i in n.input}
        nodes = g.nodes.set_index("name")
        assert set(nodes["scope"]) == {"sweep_regressor"}
        # Shapes: the input's batch_shape, then what each layer's consumer received.
        assert nodes["shape"].tolist() == ["[?, 6]", "[?, 24]", "[?, 24]", "[?, 12]", None]
        assert nodes.loc["sweep_regressor/hidden_1", "attrs"]["units"] == "24"
        assert nodes.loc["sweep_regressor/hidden_1", "attrs"]["activation"] == "gelu"
        assert "name" not in nodes.loc["sweep_regressor/hidden_1", "attrs"]
    with pytest.raises(LookupError, match=r"run 'lr_0.1' has no graph; runs with graphs: \['lr_0.001/train'"):
        ld.graph("lr_0.1")


def _keras_summary(config_json: str):
    """The summary Keras' TensorBoard callback writes for write_graph=True (FORMATS.md §3)."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.util import tensor_util

    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="graph_keras_model", content=b"1"))
    value = summary_pb2.Summary.Value(tag="keras", metadata=meta,
                                      tensor=tensor_util.make_tensor_proto(config_json.encode()))
    return summary_pb2.Summary(value=[value])


def test_nested_keras3_model_and_the_empty_op_graph_default(tmp_path):
    import keras
    from tensorboard.compat.proto import event_pb2, graph_pb2
    from tensorboard.plugins.graph import keras_util
    from torch.utils.tensorboard.writer import FileWriter

    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, activation="relu", name="d1"),
                              keras.layers.Dense(8, name="d2")], name="encoder")
    x_in = keras.Input((8,), name="x")
    branch_in = keras.Input((8,), name="b_in")
    branch = keras.Model(branch_in, keras.layers.Dense(4, name="proj")(branch_in), name="branch")
    h = inner(x_in)
    out = keras.layers.Dense(2, name="head")(keras.layers.Concatenate(name="cat")([h, branch(h)]))
    model = keras.Model(x_in, out, name="outer")
    config_json = model.to_json()

    # Keras 3 on TensorFlow logs the conceptual graph plus an empty op graph; written with torch's FileWriter.
    writer = FileWriter(str(tmp_path / "train"))
    writer.add_event(event_pb2.Event(graph_def=graph_pb2.GraphDef().SerializeToString()))
    writer.add_summary(_keras_summary(config_json), 0)
    writer.close()

    ld = nbtb.load(tmp_path)
    expected = keras_util.keras_model_to_graph_def(json.loads(config_json))
    assert ld.graphs.values.tolist() == [["train", "op", "", 0], ["train", "keras", "keras", len(expected.node)]]
    g = ld.graph("train")
    assert g.kind == "keras"
    assert g.nodes["name"].tolist() == [n.name for n in expected.node]
    # TensorBoard feeds the branch model's input from "outer/encoder", a model name that is no node;
    # nbtb feeds it from the encoder's output layer instead.
    tb = {(i, n.name, "data") for n in expected.node for i in n.input}
    assert ("outer/encoder", "outer/branch/b_in", "data") in tb
    assert frame_edges(g) == tb - {("outer/encoder", "outer/branch/b_in", "data")} | {
        ("outer/encoder/d2", "outer/branch/b_in", "data")}
    nodes = g.nodes.set_index("name")
    assert nodes.loc["outer/encoder/d1", "scope"] == "outer/encoder"
    assert nodes.loc["outer/branch/proj", "scope"] == "outer/branch"
    assert nodes.loc["outer/head", "op"] == "Dense" and nodes.loc["outer/cat", "op"] == "Concatenate"
    assert nodes.loc["outer/x", "shape"] == "[?, 8]"
    empty = ld.graph("train", kind="op")
    assert (empty.kind, len(empty), len(empty.edges)) == ("op", 0, 0)
    assert list(empty.nodes.columns) == NODE_COLUMNS


# ---- RunMetadata step stats ----------------------------------------------------------------------
def test_run_metadata_stats_and_graphs(tmp_path):
    from tensorboard.compat.proto import config_pb2, event_pb2, graph_pb2, types_pb2
    from tensorboard.plugins.graph import graph_util
    from torch.utils.tensorboard.writer import FileWriter

    graph = graph_pb2.GraphDef()
    a = graph.node.add(name="a", op="Placeholder", device="/device:CPU:0")
    a.attr["_output_shapes"].list.shape.add().dim.add(size=-1)
    a.attr["_output_shapes"].list.shape[0].dim.add(size=3)
    graph.node.add(name="s/b", op="Relu", input=["a"], device="/device:CPU:0")
    graph.node.add(name="s/c", op="NoOp", input=["^s/b"])
    metadata = config_pb2.RunMetadata()
    dev = metadata.step_stats.dev_stats.add(device="/device:CPU:0")
    stat = dev.node_stats.add(node_name="s/b", all_start_micros=100, op_start_rel_micros=1, op_end_rel_micros=5,
                              all_end_rel_micros=6, thread_id=3, timeline_label="b = Relu(a)")
    out = stat.output.add(slot=0)
    out.tensor_description.dtype = types_pb2.DT_FLOAT
    for size in (2, 3):
        out.tensor_description.shape.dim.add(size=size)
    writer = FileWriter(str(tmp_path / "run"))
    writer.add_graph((graph, metadata))  # torch's FileWriter: Event.graph_def + TaggedRunMetadata "step1"
    # A RunMetadata carrying two function graphs, as tf.summary.trace_export's does.
    functions = config_pb2.RunMetadata()
    functions.function_graphs.add().pre_optimization_graph.CopyFrom(graph)
    functions.function_graphs.add().pre_optimization_graph.CopyFrom(graph)
    writer.add_event(event_pb2.Event(step=7, tagged_run_metadata=event_pb2.TaggedRunMetadata(
        tag="trace", run_metadata=functions.SerializeToString())))
    writer.close()

    ld = nbtb.load(tmp_path)
    assert ld.graphs.values.tolist() == [["run", "op", "", 3], ["run", "op", "step1", 3], ["run", "op", "trace", 6]]
    plain = ld.graph("run")
    assert plain.stats.empty and plain.nodes.set_index("name").loc["s/b", "shape"] is None
    assert plain.edges.values.tolist() == [["a", "s/b", "data", "[?, 3]"], ["s/b", "s/c", "control", None]]

    profiled = ld.graph("run", tag="step1")
    assert profiled.stats.drop(columns="output_shapes").values.tolist() == [
        ["s/b", "/device:CPU:0", 0, 100, 1, 5, 6, 3, "b = Relu(a)"]]
    assert profiled.stats["output_shapes"].tolist() == [["[2, 3]"]]
    nodes = profiled.nodes.set_index("name")
    assert nodes.loc["s/b", "shape"] == "[2, 3]"  # known from the step stats only
    assert nodes.loc["a", "shape"] == "[?, 3]" and nodes.loc["s/b", "scope"] == "s"
    assert profiled.edges.values.tolist() == [["a", "s/b", "data", "[?, 3]"], ["s/b", "s/c", "control", None]]

    merged = ld.graph("run", tag="trace")
    expected = graph_util.merge_graph_defs([graph, graph])
    assert merged.nodes["name"].tolist() == [n.name for n in expected.node]  # graph_1/…, graph_2/…
    # TensorBoard's merge writes control inputs as `graph_1/^s/b` (naming no node); here they stay edges.
    assert frame_edges(merged) == tb_edges(expected) | {(f"graph_{i}/s/b", f"graph_{i}/s/c", "control") for i in (1, 2)}


# ---- damage ------------------------------------------------------------------------------------
def test_truncated_graph_def_is_named_and_the_rest_still_loads(tmp_path, torch_logdir):
    from tensorboard.compat.proto import graph_pb2
    from google.protobuf.message import DecodeError

    good = tb_graph(os.path.join(torch_logdir, "conv")).SerializeToString()
    truncated = good[: len(good) // 2]
    with pytest.raises(DecodeError):  # the prerequisite: these bytes really are unreadable
        graph_pb2.GraphDef.FromString(truncated)
    with nbtb.SummaryWriter(tmp_path / "broken") as w:
        w.add_scalar("loss", 0.5, 1)
        w.add_graph_def(truncated)
        w.add_scalar("loss", 0.25, 2)
    with nbtb.SummaryWriter(tmp_path / "fine") as w:
        w.add_graph_def(good)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading must not trip over graph bytes it has not parsed
        ld = nbtb.load(tmp_path)
        assert ld.scalars.query("run == 'broken'")["value"].tolist() == [0.5, 0.25]
    path = [os.path.join(tmp_path, "broken", f) for f in os.listdir(tmp_path / "broken")][0]
    with pytest.warns(DataLossWarning, match=re.escape(path)):
        listing = ld.graphs
    assert listing.values.tolist() == [["fine", "op", "", len(tb_graph(os.path.join(torch_logdir, "conv")).node)]]
    with pytest.raises(LookupError) as err:
        ld.graph("broken")
    message = str(err.value)
    assert "run 'broken'" in message and path in message and "unreadable GraphDef" in message
    assert "runs with graphs: ['fine']" in message
    assert len(ld.graph("fine")) == len(tb_graph(os.path.join(torch_logdir, "conv")).node)


# ---- writer ------------------------------------------------------------------------------------
def test_add_graph_def_writes_what_tensorboard_reads(tmp_path):
    from tensorboard.compat.proto import graph_pb2 as tb_graph_pb2

    from nbtb.proto import graph_pb2

    ours = graph_pb2.GraphDef()
    ours.node.add(name="a/x", op="Const", device="/device:CPU:0")
    ours.node.add(name="a/y", op="Identity", input=["a/x"])
    with nbtb.SummaryWriter(tmp_path / "r") as w:
        w.add_graph_def(ours)
    ref = tb_graph(str(tmp_path / "r"))
    assert isinstance(ref, tb_graph_pb2.GraphDef)
    assert [(n.name, n.op, list(n.input)) for n in ref.node] == [("a/x", "Const", []), ("a/y", "Identity", ["a/x"])]
    g = nbtb.load(tmp_path).graph("r")
    assert g.nodes[["name", "op", "device", "scope"]].values.tolist() == [
        ["a/x", "Const", "/device:CPU:0", "a"], ["a/y", "Identity", "", "a"]]


def test_truncated_keras_json_is_named(tmp_path):
    from torch.utils.tensorboard.writer import FileWriter

    config = json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": []}})
    writer = FileWriter(str(tmp_path / "train"))
    writer.add_summary(_keras_summary(config[: len(config) // 2]), 0)
    writer.close()
    ld = nbtb.load(tmp_path)
    path = os.path.join(tmp_path, "train", os.listdir(tmp_path / "train")[0])
    with pytest.warns(DataLossWarning, match=re.escape(path)):
        assert ld.graphs.empty
    with pytest.raises(LookupError, match=re.escape(path) + r".*unreadable Keras model JSON.*runs with graphs: none$"):
        ld.graph("train")


def test_refresh_brings_new_graphs(tmp_path):
    from nbtb.proto import graph_pb2

    first = graph_pb2.GraphDef()
    first.node.add(name="x", op="Placeholder")
    with nbtb.SummaryWriter(tmp_path / "a") as w:
        w.add_graph_def(first)
    ld = nbtb.load(tmp_path)
    assert ld.graphs.values.tolist() == [["a", "op", "", 1]]
    second = graph_pb2.GraphDef()
    second.node.add(name="x", op="Placeholder")
    second.node.add(name="y", op="Identity", input=["x"])
    with nbtb.SummaryWriter(tmp_path / "a") as w:  # a newer graph in the same run wins, as in TensorBoard
        w.add_graph_def(second)
    with nbtb.SummaryWriter(tmp_path / "b") as w:
        w.add_graph_def(first)
    ld.refresh()
    assert ld.graphs.values.tolist() == [["a", "op", "", 2], ["b", "op", "", 1]]
    assert ld.graph("a").edges.values.tolist() == [["x", "y", "data", None]]
