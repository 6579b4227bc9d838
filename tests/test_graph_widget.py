"""The Graphs tab's kernel side (nbtb/widgets/graph.py, docs/protocol.md): the catalog lists the
runs whose graph has nodes, and a ``graph_request`` is answered with one JSON buffer that holds
the loader's node and edge frames exactly (edges as node indices). Graphs come from torch's own
``add_graph`` (the loader's fixture in tests/test_graphs.py) and the committed Keras fixture.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import nbtb
from nbtb.graphs import Graph
from nbtb.widgets.graph import ATTR_MAX, graph_catalog, graph_payload
from test_graphs import torch_logdir  # noqa: F401 (the loader's torch add_graph fixture)

DATA = Path(__file__).parent / "data"


def ask(widget, request: dict) -> tuple[dict, list]:
    """Sends ``request`` as the browser would and returns the one reply."""
    sent: list[tuple[dict, list]] = []
    widget.send = lambda msg, buffers=None: sent.append((msg, list(buffers or [])))
    widget._on_msg(widget, request, [])
    assert len(sent) == 1, sent
    return sent[0]


def decode(buf) -> dict:
    return json.loads(bytes(buf).decode("utf-8"))


def test_catalog_lists_runs_with_graphs_by_kind(torch_logdir, tmp_path):  # noqa: F811
    w = nbtb.Dashboard(torch_logdir, reload_interval=0)
    assert w.catalog["graphs"] == {"op": ["conv", "res"], "keras": []}  # not scalars_only
    root = tmp_path / "logs"
    shutil.copytree(torch_logdir, root / "torch")
    shutil.copytree(DATA / "keras_sweep" / "lr_0.01" / "train", root / "keras")
    shutil.copytree(DATA / "tf2_summaries" / "custom", root / "tf2")  # a GraphDef and a RunMetadata trace
    assert graph_catalog(nbtb.load(str(root))) == {
        "graphs": {"op": ["tf2", "torch/conv", "torch/res"], "keras": ["keras"]},
        # torch's add_graph also writes a RunMetadata "step1" (step stats over the same GraphDef),
        # which TensorBoard offers as a tag too
        "graph_tags": {"op": {"tf2": ["", "tiny_block_trace"], "torch/conv": ["", "step1"],
                              "torch/res": ["", "step1"]},
                       "keras": {"keras": ["keras"]}}}


def test_graph_request_by_tag():
    w = nbtb.Dashboard(str(DATA / "tf2_summaries"), reload_interval=0)
    lg = nbtb.load(str(DATA / "tf2_summaries"))
    assert w.catalog["graph_tags"]["op"] == {"custom": ["", "tiny_block_trace"]}
    for tag in (None, "", "tiny_block_trace"):
        msg, bufs = ask(w, {"kind": "graph_request", "request_id": 1, "run": "custom", "graph_kind": "op", "tag": tag})
        graph = lg.graph("custom", kind="op", tag=tag if tag is not None else "")
        assert msg["error"] is None and msg["tag"] == graph.tag == (tag or "")
        assert decode(bufs[0])["nodes"]["name"] == graph.nodes["name"].tolist()
    assert len(lg.graph("custom", kind="op", tag="tiny_block_trace").nodes) != len(lg.graph("custom", kind="op", tag="").nodes)
    msg, bufs = ask(w, {"kind": "graph_request", "request_id": 2, "run": "custom", "graph_kind": "op", "tag": "nope"})
    assert "custom" in msg["error"] and bufs == []


def test_graph_reply_carries_the_loaders_frames(torch_logdir):  # noqa: F811
    w = nbtb.Dashboard(torch_logdir, reload_interval=0)
    graph = nbtb.load(torch_logdir).graph("res", kind="op")
    msg, bufs = ask(w, {"kind": "graph_request", "request_id": 7, "run": "res", "graph_kind": "op"})
    assert msg == {"kind": "graph_reply", "request_id": 7, "run": "res", "graph_kind": "op", "tag": "",
                   "error": None, "nodes": len(graph.nodes), "edges": len(graph.edges)}
    assert len(bufs) == 1
    wire = decode(bufs[0])
    nodes, edges = wire["nodes"], wire["edges"]
    assert nodes["name"] == graph.nodes["name"].tolist()
    assert nodes["op"] == graph.nodes["op"].tolist()
    assert [nodes["devices"][d] for d in nodes["device"]] == graph.nodes["device"].tolist()
    assert nodes["shape"] == [None if pd.isna(s) else s for s in graph.nodes["shape"]]
    assert nodes["attrs"] == graph.nodes["attrs"].tolist()  # short values arrive whole
    names = nodes["name"]
    sent = list(zip([names[i] for i in edges["src"]], [names[i] for i in edges["dst"]],
                    ["control" if c else "data" for c in edges["control"]], edges["shape"]))
    expected = [(s, d, k, None if pd.isna(sh) else sh) for s, d, k, sh in graph.edges.itertuples(index=False)]
    assert sent == expected
    # the repeated blocks are there to be grouped: three Block[k] scopes
    assert {n.split("/")[2] for n in names if n.count("/") > 2 and "Block[" in n} == {"Block[0]", "Block[1]", "Block[2]"}


def test_keras_graph_reply():
    w = nbtb.Dashboard(str(DATA / "keras_sweep"), reload_interval=0)
    assert w.catalog["graphs"]["keras"] == ["lr_0.001/train", "lr_0.01/train", "lr_0.1/train"]
    msg, bufs = ask(w, {"kind": "graph_request", "request_id": 1, "run": "lr_0.1/train", "graph_kind": "keras"})
    graph = nbtb.load(str(DATA / "keras_sweep")).graph("lr_0.1/train", kind="keras")
    assert msg["error"] is None and msg["tag"] == graph.tag and msg["nodes"] == len(graph.nodes) == 5
    assert decode(bufs[0])["nodes"]["op"] == graph.nodes["op"].tolist()


@pytest.mark.parametrize("request_, needle", [
    ({"run": "scalars_only", "graph_kind": "op"}, "scalars_only"),  # LookupError names the run
    ({"run": "res", "graph_kind": "keras"}, "res"),  # no Keras graph in a torch run
    ({"run": "res", "graph_kind": "profile"}, "unknown graph kind"),
])
def test_missing_graph_is_an_error_reply_not_an_exception(torch_logdir, request_, needle):  # noqa: F811
    w = nbtb.Dashboard(torch_logdir, reload_interval=0)
    msg, bufs = ask(w, {"kind": "graph_request", "request_id": 3, **request_})
    assert msg["kind"] == "graph_reply" and msg["request_id"] == 3
    assert needle in msg["error"]
    assert bufs == [] and msg["nodes"] == 0


def test_long_attribute_values_are_cut_and_dangling_edges_dropped():
    nodes = pd.DataFrame({"name": ["c", "m"], "op": ["Const", "MatMul"], "device": ["", "/cpu:0"],
                          "scope": ["", ""], "attrs": [{"value": "x" * 10_000}, {"T": "DT_FLOAT"}],
                          "shape": ["[2]", None]})
    edges = pd.DataFrame({"src": ["c", "ghost"], "dst": ["m", "m"], "kind": ["data", "control"],
                          "shape": ["[2]", None]})
    data, n, m = graph_payload(Graph("r", "op", "", nodes, edges))
    wire = json.loads(data)
    assert (n, m) == (2, 1)
    value = wire["nodes"]["attrs"][0]["value"]
    assert len(value) == ATTR_MAX and value.endswith("…") and value.startswith("xxx")
    assert wire["nodes"]["attrs"][1] == {"T": "DT_FLOAT"}
    assert wire["edges"] == {"src": [0], "dst": [1], "control": [0], "shape": ["[2]"]}
    assert wire["nodes"]["devices"] == ["", "/cpu:0"] and wire["nodes"]["device"] == [0, 1]


def test_graph_view_is_the_graphs_tab_alone(torch_logdir):  # noqa: F811
    v = nbtb.GraphView(torch_logdir, run="res")
    assert (v.tab, v.panel, v.graph_run, v.reload_interval) == ("graphs", "graphs", "res", 0)
    assert isinstance(v, nbtb.Dashboard)
    msg, bufs = ask(v, {"kind": "graph_request", "request_id": 2, "run": "res", "graph_kind": "op"})
    assert msg["error"] is None and len(bufs) == 1


def test_graph_view_builds_its_first_reply_ahead(torch_logdir):  # noqa: F811
    v = nbtb.GraphView(torch_logdir)  # no run: the first run with a graph, as the browser picks it
    prefetch = v._graph_prefetch
    assert prefetch is not None and prefetch._key == ("conv", "op")
    prefetch._thread.join(30)
    assert prefetch._message is not None  # built before anyone asked
    msg, bufs = ask(v, {"kind": "graph_request", "request_id": 11, "run": "conv", "graph_kind": "op"})
    assert msg["request_id"] == 11 and msg["error"] is None
    graph = nbtb.load(torch_logdir).graph("conv", kind="op")
    assert decode(bufs[0])["nodes"]["name"] == graph.nodes["name"].tolist()
    assert v._graph_prefetch is None  # used once
    again, bufs2 = ask(v, {"kind": "graph_request", "request_id": 12, "run": "conv", "graph_kind": "op"})
    assert again["request_id"] == 12 and bytes(bufs2[0]) == bytes(bufs[0])  # built afresh, same graph
    other = nbtb.GraphView(torch_logdir, run="res")
    msg, _ = ask(other, {"kind": "graph_request", "request_id": 13, "run": "conv", "graph_kind": "op"})
    assert msg["run"] == "conv" and msg["error"] is None  # a request for another graph is not served the prefetch


def test_a_failing_source_still_gets_a_graph_reply(torch_logdir):  # noqa: F811
    w = nbtb.Dashboard(torch_logdir, reload_interval=0)

    class Broken:
        graphs = w._source.graphs

        def graph(self, *args, **kwargs):
            raise RuntimeError("disk on fire")

    w._source = Broken()
    msg, bufs = ask(w, {"kind": "graph_request", "request_id": 5, "run": "res", "graph_kind": "op"})
    assert msg["kind"] == "graph_reply" and msg["request_id"] == 5 and msg["graph_kind"] == "op"
    assert msg["error"] == "cannot read the graph: RuntimeError: disk on fire" and bufs == []


def test_graph_view_of_a_run_without_graph_says_which_runs_have_one(torch_logdir):  # noqa: F811
    with pytest.raises(LookupError, match=r"'scalars_only' has no graph.*\['conv', 'res'\]"):
        nbtb.GraphView(torch_logdir, run="scalars_only")
