"""Seed experiment: ``python -m nbtb.demo logs/``.

Trains a real (numpy) 2-layer MLP classifier on a synthetic image task at three learning rates and
logs everything TensorBoard's dashboards show, with ``nbtb.SummaryWriter``:

- scalars: ``loss/train``, ``loss/validation``, ``accuracy/train``, ``accuracy/validation``,
  ``learning_rate``;
- histograms: ``weights/*`` and ``gradients/*`` per layer;
- images: sample inputs, the first layer's filters, misclassified validation images;
- text: the run's configuration;
- graph: the op graph of one training step (``model_graph``), for the Graphs tab;
- profile: a Chrome trace of ten training steps of the first run, timed (``StepTimer``).

The task: 8x8 noisy images of four shapes (horizontal bar, vertical bar, diagonal, anti-diagonal).
Plain minibatch SGD at lr 0.01 / 0.001 / 0.0001 gives visibly different curves in about a second.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASSES = ("horizontal", "vertical", "diagonal", "anti-diagonal")
RUNS = {"run_lr_001": 0.01, "run_lr_0001": 0.001, "run_lr_00001": 0.0001}
PROFILED = (1001, 1011)  # steps of the first run timed for the Profile tab
SIDE = 8


def make_data(n: int, rng: np.random.Generator, noise: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images (n, 64) and labels (n,): a shape of brightness +1 under Gaussian noise."""
    labels = rng.integers(0, len(CLASSES), n)
    images = rng.normal(0.0, noise, (n, SIDE, SIDE))
    where = rng.integers(1, SIDE - 1, n)  # bars sit at a random row/column
    rows = np.arange(n)
    horiz, vert = labels == 0, labels == 1
    images[rows[horiz], where[horiz], :] += 1.0
    images[rows[vert], :, where[vert]] += 1.0
    images[labels == 2] += np.eye(SIDE)
    images[labels == 3] += np.fliplr(np.eye(SIDE))
    return images.reshape(n, SIDE * SIDE), labels


@dataclass
class MLP:
    """64 -> hidden (ReLU) -> 4 (softmax), He-initialised."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @classmethod
    def init(cls, rng: np.random.Generator, n_in: int = 64, hidden: int = 64, n_out: int = 4) -> MLP:
        return cls(rng.normal(0, np.sqrt(2 / n_in), (n_in, hidden)), np.zeros(hidden),
                   rng.normal(0, np.sqrt(2 / hidden), (hidden, n_out)), np.zeros(n_out))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hidden activations and log-probabilities."""
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        z = h @ self.w2 + self.b2
        z = z - z.max(axis=1, keepdims=True)
        return h, z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float, dict[str, np.ndarray]]:
        """Mean cross-entropy, accuracy, and the gradients by backpropagation."""
        h, logp = self.forward(x)
        n = len(y)
        loss = float(-logp[np.arange(n), y].mean())
        acc = float((logp.argmax(axis=1) == y).mean())
        g = np.exp(logp)
        g[np.arange(n), y] -= 1.0
        g /= n  # d loss / d logits
        gh = g @ self.w2.T
        gh[h <= 0] = 0.0
        return loss, acc, {"w1": x.T @ gh, "b1": gh.sum(0), "w2": h.T @ g, "b2": g.sum(0)}

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
        _, logp = self.forward(x)
        pred = logp.argmax(axis=1)
        return float(-logp[np.arange(len(y)), y].mean()), float((pred == y).mean()), pred


def model_graph(n_in: int = 64, hidden: int = 64, n_out: int = 4) -> bytes:
    """The op graph of one training step of ``MLP`` (forward, loss, accuracy, backprop, SGD), as
    a serialized GraphDef for the Graphs tab: the numpy code above, op for op, named by scope."""
    from .proto import graph_pb2

    g = graph_pb2.GraphDef()
    g.versions.producer = 1

    def node(name: str, op: str, inputs: tuple[str, ...] = (), shape: tuple[int, ...] | None = None) -> None:
        n = g.node.add(name=name, op=op, device="/cpu:0 (numpy)")
        n.input.extend(inputs)
        n.attr["T"].type = 2  # DT_DOUBLE: numpy computes in float64
        if shape is not None:  # -1: the batch dimension
            dims = g.node[-1].attr["_output_shapes"].list.shape.add()
            for size in shape:
                dims.dim.add(size=size)

    b = -1
    node("input/images", "Placeholder", shape=(b, n_in))
    node("input/labels", "Placeholder", shape=(b,))
    for i, (fan_in, fan_out, x) in enumerate(((n_in, hidden, "input/images"), (hidden, n_out, "dense_1/Relu")), 1):
        scope = f"dense_{i}"
        node(f"{scope}/w", "VariableV2", shape=(fan_in, fan_out))
        node(f"{scope}/b", "VariableV2", shape=(fan_out,))
        node(f"{scope}/MatMul", "MatMul", (x, f"{scope}/w"), shape=(b, fan_out))
        node(f"{scope}/BiasAdd", "BiasAdd", (f"{scope}/MatMul", f"{scope}/b"), shape=(b, fan_out))
        if i == 1:
            node(f"{scope}/Relu", "Relu", (f"{scope}/BiasAdd",), shape=(b, fan_out))
    node("loss/LogSoftmax", "LogSoftmax", ("dense_2/BiasAdd",), shape=(b, n_out))
    node("loss/NegLogLikelihood", "GatherNd", ("loss/LogSoftmax", "input/labels"), shape=(b,))
    node("loss/Mean", "Mean", ("loss/NegLogLikelihood",), shape=())
    node("accuracy/ArgMax", "ArgMax", ("loss/LogSoftmax",), shape=(b,))
    node("accuracy/Equal", "Equal", ("accuracy/ArgMax", "input/labels"), shape=(b,))
    node("accuracy/Mean", "Mean", ("accuracy/Equal",), shape=())
    node("gradients/logits", "SoftmaxCrossEntropyGrad", ("loss/LogSoftmax", "input/labels"), shape=(b, n_out))
    node("gradients/dense_2/w", "MatMul", ("dense_1/Relu", "gradients/logits"), shape=(hidden, n_out))
    node("gradients/dense_2/b", "Sum", ("gradients/logits",), shape=(n_out,))
    node("gradients/hidden", "MatMul", ("gradients/logits", "dense_2/w"), shape=(b, hidden))
    node("gradients/ReluGrad", "ReluGrad", ("gradients/hidden", "dense_1/Relu"), shape=(b, hidden))
    node("gradients/dense_1/w", "MatMul", ("input/images", "gradients/ReluGrad"), shape=(n_in, hidden))
    node("gradients/dense_1/b", "Sum", ("gradients/ReluGrad",), shape=(hidden,))
    for layer in ("dense_1", "dense_2"):
        for p in ("w", "b"):  # after the step's summaries were taken: control edges from them
            node(f"sgd/update_{layer}_{p}", "ApplyGradientDescent",
                 (f"{layer}/{p}", f"gradients/{layer}/{p}", "^loss/Mean", "^accuracy/Mean"))
    return g.SerializeToString()


class StepTimer:
    """Times phases of training steps into a Chrome trace (the format TensorBoard's profiler and
    torch's write), so the Profile tab shows where this numpy loop spends its time."""

    def __init__(self) -> None:
        import os
        import threading
        import time

        self._clock = time.perf_counter_ns
        self._pid, self._tid = os.getpid(), threading.get_ident() % 2**31
        self.events: list[dict] = []

    def span(self, name: str, cat: str = "cpu_op"):
        timer = self

        class _Span:
            def __enter__(self):
                self.start = timer._clock()

            def __exit__(self, *exc):
                end = timer._clock()
                timer.events.append({"ph": "X", "cat": cat, "name": name, "pid": timer._pid, "tid": timer._tid,
                                     "ts": self.start / 1e3, "dur": (end - self.start) / 1e3})

        return _Span()

    def write(self, run_dir: Path, session: str = "demo") -> Path:
        """``<run>/plugins/profile/<session>/<host>.trace.json.gz``, where TensorBoard keeps profiles."""
        import gzip
        import json
        import socket

        meta = [{"ph": "M", "name": "process_name", "pid": self._pid, "args": {"name": "python (nbtb demo)"}},
                {"ph": "M", "name": "thread_name", "pid": self._pid, "tid": self._tid, "args": {"name": "training loop"}}]
        out = run_dir / "plugins" / "profile" / session / f"{socket.gethostname() or 'host'}.trace.json.gz"
        out.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(out, "wt") as f:
            json.dump({"displayTimeUnit": "ms", "traceEvents": meta + self.events}, f)
        return out


def to_rgb_grid(images: np.ndarray, cols: int = 8, scale: int = 8) -> np.ndarray:
    """(k, 64) images -> one uint8 HWC picture, each image min-max scaled and upsampled."""
    k = len(images)
    tiles = images.reshape(k, SIDE, SIDE)
    lo = tiles.min(axis=(1, 2), keepdims=True)
    hi = tiles.max(axis=(1, 2), keepdims=True)
    tiles = (tiles - lo) / np.where(hi > lo, hi - lo, 1.0)
    rows = -(-k // cols)
    pad = 1
    cell = SIDE * scale + pad
    grid = np.ones((rows * cell + pad, cols * cell + pad))
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        big = np.kron(tile, np.ones((scale, scale)))
        grid[pad + r * cell: pad + r * cell + SIDE * scale, pad + c * cell: pad + c * cell + SIDE * scale] = big
    gray = (grid * 255).astype(np.uint8)
    return np.stack([gray, gray, gray], axis=-1)


def train_run(logdir: Path, lr: float, steps: int = 3000, batch: int = 32, seed: int = 0,
              profile: bool = False) -> dict[str, float]:
    """Train one model and log it; returns the final validation metrics. ``profile``: time the
    steps in ``PROFILED`` into a trace for the Profile tab (they are trained but not logged)."""
    from nbtb import SummaryWriter  # late import: nbtb/__init__ may import widgets

    data_rng = np.random.default_rng(seed)  # same data for every run
    x_train, y_train = make_data(4000, data_rng)
    x_val, y_val = make_data(1000, data_rng)
    rng = np.random.default_rng(seed + 1)  # same init and batches: only lr differs
    model = MLP.init(rng)
    with SummaryWriter(str(logdir)) as w:
        w.add_text("config", "\n".join([
            "| hyperparameter | value |", "|---|---|", f"| learning rate | {lr} |",
            f"| batch size | {batch} |", f"| steps | {steps} |", "| hidden units | 64 |",
            "| optimizer | plain SGD (numpy) |", f"| classes | {', '.join(CLASSES)} |"]), 0)
        w.add_image("samples/inputs", to_rgb_grid(x_train[:16]), 0, dataformats="HWC")
        w.add_graph_def(model_graph())
        timer = StepTimer() if profile else None
        for step in range(steps + 1):
            if timer is not None and PROFILED[0] <= step < PROFILED[1]:  # a few steps, as a profiler would
                with timer.span(f"ProfilerStep#{step}", "user_annotation"):
                    with timer.span("sample_batch"):
                        idx = rng.integers(0, len(x_train), batch)
                    with timer.span("forward_and_backward"):
                        loss, acc, grads = model.loss_and_grads(x_train[idx], y_train[idx])
                    with timer.span("evaluate"):
                        model.evaluate(x_val, y_val)  # the validation pass, here every profiled step
                    with timer.span("sgd_update"):
                        for name, grad in grads.items():
                            setattr(model, name, getattr(model, name) - lr * grad)
                continue
            idx = rng.integers(0, len(x_train), batch)
            loss, acc, grads = model.loss_and_grads(x_train[idx], y_train[idx])
            if step % 20 == 0:
                w.add_scalar("loss/train", loss, step)
                w.add_scalar("accuracy/train", acc, step)
            if step % 100 == 0:
                v_loss, v_acc, pred = model.evaluate(x_val, y_val)
                w.add_scalar("loss/validation", v_loss, step)
                w.add_scalar("accuracy/validation", v_acc, step)
                w.add_scalar("learning_rate", lr, step)
            if step % 300 == 0:
                for name in ("w1", "w2"):
                    layer = "layer1" if name == "w1" else "layer2"
                    w.add_histogram(f"weights/{layer}", getattr(model, name).ravel(), step)
                    w.add_histogram(f"gradients/{layer}", grads[name].ravel(), step)
            if step % 1000 == 0:
                w.add_image("weights/layer1_filters", to_rgb_grid(model.w1.T[:16]), step, dataformats="HWC")
                wrong = np.flatnonzero(pred != y_val)[:16]
                if wrong.size:
                    w.add_image("samples/misclassified", to_rgb_grid(x_val[wrong]), step, dataformats="HWC")
            for name, grad in grads.items():  # SGD update, after logging this step's state
                setattr(model, name, getattr(model, name) - lr * grad)
        w.flush()
    if timer is not None:
        timer.write(logdir)
    v_loss, v_acc, _ = model.evaluate(x_val, y_val)
    return {"loss": v_loss, "accuracy": v_acc}


def write_demo(logdir: str | Path, steps: int = 3000) -> dict[str, dict[str, float]]:
    """Write the three runs under ``logdir``; returns final validation metrics per run."""
    root = Path(logdir)
    return {run: train_run(root / run, lr, steps=steps, profile=run == "run_lr_001")
            for run, lr in RUNS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbtb.demo", description=__doc__.split("\n")[0])
    parser.add_argument("logdir", nargs="?", default="logs")
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args(argv)
    for run, m in write_demo(args.logdir, args.steps).items():
        print(f"{Path(args.logdir) / run}: validation loss {m['loss']:.3f}, accuracy {m['accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
