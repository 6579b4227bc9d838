#!/usr/bin/env python
"""Write a logdir holding one ResNet-50-sized op graph, for graph loading / drawing benchmarks.

    python bench/make_graph.py                       # bench/data/graph-logdir, run "resnet50"
    python bench/make_graph.py --out DIR --force     # elsewhere, replacing it
    python bench/make_graph.py --force --time 7      # also time nbtb.load(DIR).graph("resnet50"),
                                                     # best of 7, into bench/results/graph_load.md

Then `nbtb.load(DIR).graph("resnet50")` is the 10,956-node Graph (nodes / edges frames).

What it writes: one run (`<out>/resnet50`) with one `Event.graph_def`, written by nbtb's own
`SummaryWriter.add_graph_def`. The GraphDef is built here (it is synthetic: TensorFlow is not a
dependency) in the shape of a TF1 `tf.layers` ResNet-50 v1.5 training graph replicated on 8 GPUs,
the layout of tf_cnn_benchmarks (`--towers`, default 8):
- 10,956 nodes and 24,690 inputs (19,137 data and 5,553 control edges) with the defaults, names
  nested up to 10 deep, e.g. `tower_3/resnet/stage3/block2/conv1/Conv2D`,
  `tower_3/gradients/tower_3/resnet/stage3/block2/conv1/Conv2D_grad/Conv2DBackpropFilter`,
  shared variables `resnet/stage3/block2/conv1/kernel/Initializer/random_uniform/mul`,
  `average_gradients/…/AddN`, `Momentum/update_…/ApplyMomentum`.
- Repeated blocks: stages of 3, 4, 6, 3 bottleneck blocks (conv1 1x1, conv2 3x3, conv3 1x1, a
  projection shortcut in each stage's first block), so one structure appears 16 times.
- Ops as TF names them (VariableV2, Assign, Identity, RandomUniform, Conv2D, FusedBatchNormV3,
  Relu, AddV2, MaxPool, Mean, MatMul, …, their gradients, ApplyMomentum), with `T`/`dtype`/
  `strides`/`padding`/`data_format` attrs and `_output_shapes` (NHWC, batch 32; FusedBatchNormV3
  has 6 outputs, so `n:1`/`n:2` inputs appear).
- Devices: variables, initializers, gradient averaging and updates on
  `/job:ps/replica:0/task:0/device:CPU:0`; tower k's forward and backward ops on
  `/job:worker/replica:0/task:0/device:GPU:k`.
- Control edges: each batch-norm moving-average update (tower 0) depends (`^`) on its
  FusedBatchNormV3; tf.gradients' `tuple/group_deps` NoOps and `tuple/control_dependency` Identities;
  `train_op` (NoOp) on every ApplyMomentum and moving-average update, and `init` on every Assign.

Deterministic: the same arguments give the same GraphDef bytes.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from nbtb import SummaryWriter  # noqa: E402
from nbtb.proto import graph_pb2, tensor_pb2  # noqa: E402

BATCH = 32
PS = "/job:ps/replica:0/task:0/device:CPU:0"
GPU = "/job:worker/replica:0/task:0/device:GPU:0"
DT_FLOAT, DT_INT32 = tensor_pb2.DT_FLOAT, tensor_pb2.DT_INT32


class Builder:
    def __init__(self) -> None:
        self.graph = graph_pb2.GraphDef()
        self.graph.versions.producer = 27
        self.assigns: list[str] = []
        self.updates: list[str] = []
        self.variables: dict[str, list[int]] = {}
        self.grads: dict[str, list[str]] = {}  # variable -> its gradient in each tower
        self.tower = ""  # name prefix of the tower being built, e.g. "tower_3/"
        self.gpu = GPU
        self.add_inputs: dict[str, tuple[str, str]] = {}

    def node(self, name: str, op: str, inputs=(), device: str | None = None, shapes=None, dtype=DT_FLOAT,
             **attrs) -> str:
        n = self.graph.node.add(name=name, op=op, device=self.gpu if device is None else device)
        n.input.extend(inputs)
        if dtype is not None:
            n.attr["T" if op not in ("VariableV2", "Const", "RandomUniform") else "dtype"].type = dtype
        for key, value in attrs.items():
            if isinstance(value, bool):
                n.attr[key].b = value
            elif isinstance(value, str):
                n.attr[key].s = value.encode()
            elif isinstance(value, float):
                n.attr[key].f = value
            elif isinstance(value, list):
                n.attr[key].list.i.extend(value)
            else:
                n.attr[key].i = value
        for shape in shapes or []:
            s = n.attr["_output_shapes"].list.shape.add()
            for size in shape:
                s.dim.add(size=size)
        return name

    def variable(self, scope: str, name: str, shape: list[int], init: str = "random") -> str:
        """A TF1 variable (shared by the towers): VariableV2, its initializer, Assign and `read`."""
        var = f"{scope}/{name}"
        if var in self.variables:
            return f"{var}/read"
        self.node(var, "VariableV2", device=PS, shapes=[shape], shape=0, container="", shared_name="")
        if init == "random":
            base = f"{var}/Initializer/random_uniform"
            self.node(f"{base}/shape", "Const", device=PS, shapes=[[len(shape)]], dtype=DT_INT32)
            self.node(f"{base}/min", "Const", device=PS, shapes=[[]])
            self.node(f"{base}/max", "Const", device=PS, shapes=[[]])
            self.node(f"{base}/RandomUniform", "RandomUniform", [f"{base}/shape"], device=PS, shapes=[shape], seed=0)
            self.node(f"{base}/sub", "Sub", [f"{base}/max", f"{base}/min"], device=PS, shapes=[[]])
            self.node(f"{base}/mul", "Mul", [f"{base}/RandomUniform", f"{base}/sub"], device=PS, shapes=[shape])
            value = self.node(base, "Add", [f"{base}/mul", f"{base}/min"], device=PS, shapes=[shape])
        else:
            value = self.node(f"{var}/Initializer/{init}", "Const", device=PS, shapes=[shape])
        self.assigns.append(self.node(f"{var}/Assign", "Assign", [var, value], device=PS, shapes=[shape],
                                      use_locking=True, validate_shape=True))
        self.node(f"{var}/read", "Identity", [var], device=PS, shapes=[shape])
        self.variables[var] = shape
        return f"{var}/read"

    def conv_bn(self, scope: str, x: str, cin: int, cout: int, k: int, stride: int, hw: int, relu: bool = True) -> str:
        """conv → batch norm (→ relu); the first tower also updates the moving averages."""
        t = self.tower
        out = [BATCH, hw, hw, cout]
        kernel = self.variable(scope, "kernel", [k, k, cin, cout])
        conv = self.node(f"{t}{scope}/Conv2D", "Conv2D", [x, kernel], shapes=[out], strides=[1, stride, stride, 1],
                         padding="SAME", data_format="NHWC", use_cudnn_on_gpu=True)
        bn = f"{scope}/batch_normalization"
        stats = [self.variable(bn, v, [cout], init) for v, init in
                 (("gamma", "ones"), ("beta", "zeros"), ("moving_mean", "zeros"), ("moving_variance", "ones"))]
        fbn = self.node(f"{t}{bn}/FusedBatchNormV3", "FusedBatchNormV3", [conv, *stats],
                        shapes=[out, [cout], [cout], [cout], [cout], [0]], epsilon=0.001, is_training=True,
                        data_format="NHWC")
        if not t or t == "tower_0/":
            for i, stat in ((1, "moving_mean"), (2, "moving_variance")):
                avg = f"{t}{bn}/AssignMovingAvg{'' if i == 1 else '_1'}"
                self.node(f"{avg}/decay", "Const", shapes=[[]])
                self.node(f"{avg}/sub", "Sub", [f"{bn}/{stat}/read", f"{fbn}:{i}"], shapes=[[cout]])
                self.node(f"{avg}/mul", "Mul", [f"{avg}/sub", f"{avg}/decay"], shapes=[[cout]])
                self.updates.append(self.node(avg, "AssignSub", [f"{bn}/{stat}", f"{avg}/mul", f"^{fbn}"],
                                              shapes=[[cout]], use_locking=False))
        return self.node(f"{t}{scope}/Relu", "Relu", [fbn], shapes=[out]) if relu else fbn

    def conv_bn_grad(self, scope: str, dy: str, x: str, relu: bool, cin: int, cout: int, k: int, hw: int) -> str:
        """The gradient ops TF adds for conv_bn; returns the gradient w.r.t. its input."""
        t = self.tower
        g = f"{t}gradients/{t}{scope}"
        bn = f"{scope}/batch_normalization"
        if relu:
            dy = self.node(f"{g}/Relu_grad/ReluGrad", "ReluGrad", [dy, f"{t}{scope}/Relu"], shapes=[[BATCH, hw, hw, cout]])
        fbn = self.node(f"{g}/batch_normalization/FusedBatchNormV3_grad/FusedBatchNormGradV3", "FusedBatchNormGradV3",
                        [dy, f"{t}{scope}/Conv2D", f"{bn}/gamma/read", f"{t}{bn}/FusedBatchNormV3:3",
                         f"{t}{bn}/FusedBatchNormV3:4", f"{t}{bn}/FusedBatchNormV3:5"],
                        shapes=[[BATCH, hw, hw, cout], [cout], [cout], [0], [0]],
                        epsilon=0.001, is_training=True, data_format="NHWC")
        d_bn = self.tuple(f"{g}/batch_normalization/FusedBatchNormV3_grad", [fbn, f"{fbn}:1", f"{fbn}:2"],
                          [[BATCH, hw, hw, cout], [cout], [cout]])
        c = f"{g}/Conv2D_grad"
        self.node(f"{c}/ShapeN", "ShapeN", [x, f"{scope}/kernel/read"], shapes=[[4], [4]], dtype=DT_INT32, N=2)
        dx = self.node(f"{c}/Conv2DBackpropInput", "Conv2DBackpropInput", [f"{c}/ShapeN", f"{scope}/kernel/read", d_bn[0]],
                       shapes=[[BATCH, hw, hw, cin]], padding="SAME", data_format="NHWC")
        dw = self.node(f"{c}/Conv2DBackpropFilter", "Conv2DBackpropFilter", [x, f"{c}/ShapeN:1", d_bn[0]],
                       shapes=[[k, k, cin, cout]], padding="SAME", data_format="NHWC")
        d_conv = self.tuple(c, [dx, dw], [[BATCH, hw, hw, cin], [k, k, cin, cout]])
        for var, grad in ((f"{scope}/kernel", d_conv[1]), (f"{bn}/gamma", d_bn[1]), (f"{bn}/beta", d_bn[2])):
            self.grads.setdefault(var, []).append(grad)
        return d_conv[0]

    def tuple(self, scope: str, values: list[str], shapes: list[list[int]]) -> list[str]:
        """tf.tuple, as tf.gradients groups every op's gradients: a NoOp and one Identity per value."""
        deps = self.node(f"{scope}/tuple/group_deps", "NoOp", [f"^{v.split(':')[0]}" for v in dict.fromkeys(values)],
                         dtype=None)
        return [self.node(f"{scope}/tuple/control_dependency" + (f"_{i}" if i else ""), "Identity", [v, f"^{deps}"],
                          shapes=[shape]) for i, (v, shape) in enumerate(zip(values, shapes))]

    def add_grad(self, scope: str, add: str, dy: str, shape: list[int]) -> tuple[str, str]:
        """An AddV2's gradient as tf.gradients builds it (broadcast-aware sums and reshapes)."""
        g = f"{scope}/add_grad"
        x, y = self.add_inputs[add]
        self.node(f"{g}/Shape", "Shape", [x], shapes=[[4]], dtype=DT_INT32)
        self.node(f"{g}/Shape_1", "Shape", [y], shapes=[[4]], dtype=DT_INT32)
        self.node(f"{g}/BroadcastGradientArgs", "BroadcastGradientArgs", [f"{g}/Shape", f"{g}/Shape_1"],
                  shapes=[[-1], [-1]], dtype=DT_INT32)
        self.node(f"{g}/Sum", "Sum", [dy, f"{g}/BroadcastGradientArgs"], shapes=[shape], keep_dims=False)
        a = self.node(f"{g}/Reshape", "Reshape", [f"{g}/Sum", f"{g}/Shape"], shapes=[shape])
        self.node(f"{g}/Sum_1", "Sum", [dy, f"{g}/BroadcastGradientArgs:1"], shapes=[shape], keep_dims=False)
        b = self.node(f"{g}/Reshape_1", "Reshape", [f"{g}/Sum_1", f"{g}/Shape_1"], shapes=[shape])
        return tuple(self.tuple(g, [a, b], [shape, shape]))


def build_tower(b: Builder, stages=(3, 4, 6, 3)) -> None:
    """One replica's forward and backward pass (tf_cnn_benchmarks' per-GPU tower)."""
    t = b.tower
    hw = 224
    x = b.node(f"{t}input/images", "Placeholder", shapes=[[BATCH, hw, hw, 3]], dtype=None)
    b.node(f"{t}input/labels", "Placeholder", shapes=[[BATCH]], dtype=None)
    units = []  # conv_bn arguments in forward order, for the gradients
    hw //= 2
    y = b.conv_bn("resnet/stem/conv1", x, 3, 64, 7, 2, hw)
    units.append(("resnet/stem/conv1", x, True, 3, 64, 7, hw))
    hw //= 2
    y = b.node(f"{t}resnet/stem/max_pooling2d/MaxPool", "MaxPool", [y], shapes=[[BATCH, hw, hw, 64]],
               ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME", data_format="NHWC")
    cin = 64
    for s, blocks in enumerate(stages, start=1):
        width = 64 * 2 ** (s - 1)
        cout = width * 4
        for k in range(1, blocks + 1):
            scope = f"resnet/stage{s}/block{k}"
            stride = 2 if (k == 1 and s > 1) else 1
            hw_out = hw // stride
            shortcut = y
            if k == 1:
                shortcut = b.conv_bn(f"{scope}/shortcut", y, cin, cout, 1, stride, hw_out, relu=False)
                units.append((f"{scope}/shortcut", y, False, cin, cout, 1, hw_out))
            h = b.conv_bn(f"{scope}/conv1", y, cin, width, 1, 1, hw)
            units.append((f"{scope}/conv1", y, True, cin, width, 1, hw))
            h2 = b.conv_bn(f"{scope}/conv2", h, width, width, 3, stride, hw_out)
            units.append((f"{scope}/conv2", h, True, width, width, 3, hw_out))
            h3 = b.conv_bn(f"{scope}/conv3", h2, width, cout, 1, 1, hw_out, relu=False)
            units.append((f"{scope}/conv3", h2, False, width, cout, 1, hw_out))
            add = b.node(f"{t}{scope}/add", "AddV2", [h3, shortcut], shapes=[[BATCH, hw_out, hw_out, cout]])
            b.add_inputs[add] = (h3, shortcut)
            y = b.node(f"{t}{scope}/Relu", "Relu", [add], shapes=[[BATCH, hw_out, hw_out, cout]])
            cin, hw = cout, hw_out
    b.node(f"{t}resnet/head/Mean/reduction_indices", "Const", shapes=[[2]], dtype=DT_INT32)
    pooled = b.node(f"{t}resnet/head/Mean", "Mean", [y, f"{t}resnet/head/Mean/reduction_indices"],
                    shapes=[[BATCH, cin]], keep_dims=False)
    kernel = b.variable("resnet/head/dense", "kernel", [cin, 1000])
    bias = b.variable("resnet/head/dense", "bias", [1000], "zeros")
    mm = b.node(f"{t}resnet/head/dense/MatMul", "MatMul", [pooled, kernel], shapes=[[BATCH, 1000]],
                transpose_a=False, transpose_b=False)
    logits = b.node(f"{t}resnet/head/dense/BiasAdd", "BiasAdd", [mm, bias], shapes=[[BATCH, 1000]], data_format="NHWC")
    xent = b.node(f"{t}loss/SparseSoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
                  [logits, f"{t}input/labels"], shapes=[[BATCH], [BATCH, 1000]])
    b.node(f"{t}loss/Const", "Const", shapes=[[1]], dtype=DT_INT32)
    b.node(f"{t}loss/Mean", "Mean", [xent, f"{t}loss/Const"], shapes=[[]], keep_dims=False)
    g = f"{t}gradients"
    b.node(f"{g}/Shape", "Shape", [f"{t}loss/Mean"], shapes=[[0]], dtype=DT_INT32)
    b.node(f"{g}/grad_ys_0", "Const", shapes=[[]])
    b.node(f"{g}/Fill", "Fill", [f"{g}/Shape", f"{g}/grad_ys_0"], shapes=[[]])
    dlogits = b.node(f"{g}/{t}loss/SparseSoftmaxCrossEntropyWithLogits_grad/mul", "Mul",
                     [f"{g}/Fill", f"{xent}:1"], shapes=[[BATCH, 1000]])
    head = f"{g}/{t}resnet/head"
    b.grads.setdefault("resnet/head/dense/bias", []).append(
        b.node(f"{head}/dense/BiasAdd_grad/BiasAddGrad", "BiasAddGrad", [dlogits], shapes=[[1000]]))
    b.grads.setdefault("resnet/head/dense/kernel", []).append(
        b.node(f"{head}/dense/MatMul_grad/MatMul_1", "MatMul", [pooled, dlogits], shapes=[[cin, 1000]]))
    dy = b.node(f"{head}/dense/MatMul_grad/MatMul", "MatMul", [dlogits, kernel], shapes=[[BATCH, cin]])
    dy = b.node(f"{head}/Mean_grad/Tile", "Tile", [dy], shapes=[[BATCH, hw, hw, cin]])
    shortcut_dy = None
    for scope, x_in, relu, ci, co, k, hw_u in reversed(units):
        if scope.endswith("/conv3"):  # the block's output: Relu(conv3 + shortcut)
            block = scope.rsplit("/", 1)[0]
            shape = [BATCH, hw_u, hw_u, co]
            dy = b.node(f"{g}/{t}{block}/Relu_grad/ReluGrad", "ReluGrad", [dy, f"{t}{block}/Relu"], shapes=[shape])
            dy, shortcut_dy = b.add_grad(f"{g}/{t}{block}", f"{t}{block}/add", dy, shape)
        elif scope.endswith("/shortcut"):
            dy = shortcut_dy
        dy = b.conv_bn_grad(scope, dy, x_in, relu, ci, co, k, hw_u)


def build(towers: int = 8) -> graph_pb2.GraphDef:
    """`towers` replicas on GPUs 0..towers-1, averaged gradients, Momentum updates on the PS."""
    b = Builder()
    for i in range(towers):
        b.tower, b.gpu = f"tower_{i}/", GPU.replace("GPU:0", f"GPU:{i}")
        build_tower(b)
    b.tower, b.gpu = "", GPU
    b.node("Momentum/learning_rate", "Const", device=PS, shapes=[[]])
    b.node("Momentum/momentum", "Const", device=PS, shapes=[[]])
    for var, grads in b.grads.items():
        shape = b.variables[var]
        avg = f"average_gradients/{var}"
        total = b.node(f"{avg}/AddN", "AddN", grads, device=PS, shapes=[shape], N=len(grads))
        b.node(f"{avg}/truediv/y", "Const", device=PS, shapes=[[]])
        mean = b.node(f"{avg}/truediv", "RealDiv", [total, f"{avg}/truediv/y"], device=PS, shapes=[shape])
        acc = b.variable(var, "Momentum", shape, "zeros").rsplit("/read", 1)[0]
        b.updates.append(b.node(f"Momentum/update_{var}/ApplyMomentum", "ApplyMomentum",
                                [var, acc, "Momentum/learning_rate", mean, "Momentum/momentum"],
                                device=PS, shapes=[shape], use_locking=False, use_nesterov=False))
    b.node("train_op", "NoOp", [f"^{u}" for u in b.updates], device=PS, dtype=None)
    b.node("init", "NoOp", [f"^{a}" for a in b.assigns], device=PS, dtype=None)
    return b.graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "data", "graph-logdir"))
    parser.add_argument("--force", action="store_true", help="replace an existing logdir")
    parser.add_argument("--time", type=int, default=0, metavar="N",
                        help="then time Logdir.graph N times into bench/results/graph_load.md")
    parser.add_argument("--towers", type=int, default=8, help="GPU replicas (8, as in tf_cnn_benchmarks' 8-GPU ResNet-50)")
    args = parser.parse_args()
    if os.path.exists(args.out):
        if not args.force:
            sys.exit(f"{args.out} exists (use --force to replace it)")
        shutil.rmtree(args.out)
    graph = build(args.towers)
    with SummaryWriter(os.path.join(args.out, "resnet50")) as writer:
        writer.add_graph_def(graph.SerializeToString(deterministic=True))
    edges = sum(len(n.input) for n in graph.node)
    print(f"{args.out}/resnet50: {len(graph.node)} nodes, {edges} inputs, {graph.ByteSize() / 1e6:.1f} MB GraphDef")
    if args.time:
        time_loading(args.out, args.time, len(graph.node), edges, graph.ByteSize())


def time_loading(out: str, repeat: int, nodes: int, inputs: int, size: int) -> None:
    """Seconds for `Logdir.graph` (parse + frames, the default-kind rule included), best of `repeat`."""
    import platform
    import time

    import nbtb

    ld = nbtb.load(out)
    tries = []
    for _ in range(repeat):
        start = time.perf_counter()
        graph = ld.graph("resnet50")
        tries.append(time.perf_counter() - start)
    start = time.perf_counter()
    listing = ld.graphs
    listed = time.perf_counter() - start
    results = os.path.join(HERE, "results", "graph_load.md")
    os.makedirs(os.path.dirname(results), exist_ok=True)
    with open(results, "w") as f:
        f.write(f"""# Graph loading (`bench/make_graph.py --time {repeat}`)

`nbtb.load(logdir).graph("resnet50")` on the synthetic 8-tower ResNet-50 GraphDef: {nodes:,} nodes,
{inputs:,} inputs, {size / 1e6:.1f} MB, one `Event.graph_def`.

| what | seconds |
|---|---|
| `Logdir.graph(run)` best of {repeat} | {min(tries):.3f} |
| `Logdir.graph(run)` median | {sorted(tries)[len(tries) // 2]:.3f} |
| `Logdir.graphs` (first listing, parses each graph once) | {listed:.3f} |

Result: {len(graph.nodes):,} node rows, {len(graph.edges):,} edge rows; listing {listing.values.tolist()}.
All tries: {", ".join(f"{t:.3f}" for t in tries)}.
Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs), Python {platform.python_version()}.
""")
    print(f"graph(): best {min(tries):.3f} s of {repeat}; written to {results}")


if __name__ == "__main__":
    main()
