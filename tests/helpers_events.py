"""Shared helpers for the loader tests: write event files, find record boundaries, catch warnings."""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

import nbtb


def write_scalars(log_dir, n: int, tag: str = "loss", start: int = 0, value=lambda step: step + 0.25,
                  purge_step: int | None = None) -> tuple[str, list[tuple[int, float]]]:
    """One event file of `n` scalars (steps start..start+n-1); returns its path and the (step, value) pairs."""
    pairs = [(s, float(np.float32(value(s)))) for s in range(start, start + n)]
    with nbtb.SummaryWriter(log_dir, purge_step=purge_step) as w:
        for s, v in pairs:
            w.add_scalar(tag, v, s)
    return w.path, pairs


def record_spans(path: str) -> list[tuple[int, int, bytes]]:
    """(start, end, payload) of every record of an intact file, with TensorBoard's own reader."""
    from tensorboard.backend.event_processing import event_file_loader

    spans = []
    pos = 0
    for payload in event_file_loader.RawEventFileLoader(path).Load():
        end = pos + 12 + len(payload) + 4
        spans.append((pos, end, payload))
        pos = end
    assert pos == os.path.getsize(path), "TensorBoard's reader did not consume the whole file"
    return spans


def scalar_of(payload: bytes) -> tuple[int, float] | None:
    """(step, value) of a simple_value scalar event payload, else None."""
    from tensorboard.compat.proto import event_pb2

    event = event_pb2.Event.FromString(payload)
    if event.WhichOneof("what") != "summary":
        return None
    (value,) = event.summary.value
    return int(event.step), float(value.simple_value)


def pairs(df, run: str | None = None, tag: str | None = None) -> list[tuple[int, float]]:
    """(step, value) rows of a scalars frame, in frame order, optionally for one run/tag."""
    if run is not None:
        df = df[df["run"] == run]
    if tag is not None:
        df = df[df["tag"] == tag]
    return list(zip(df["step"].astype(int).tolist(), df["value"].astype(float).tolist()))


@contextlib.contextmanager
def data_loss_warnings():
    """Record every DataLossWarning raised inside (and nothing else is swallowed)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", nbtb.DataLossWarning)
        found: list[warnings.WarningMessage] = []
        yield found
    found.extend(w for w in caught if issubclass(w.category, nbtb.DataLossWarning))
    for w in caught:
        if not issubclass(w.category, nbtb.DataLossWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def load_recording(path, **kwargs):
    """nbtb.load(path) plus the DataLossWarning messages it raised."""
    with data_loss_warnings() as found:
        logdir = nbtb.load(path, **kwargs)
        logdir.scalars  # frames are built lazily; build them inside the recording
    return logdir, [str(w.message) for w in found]


def refresh_recording(logdir):
    with data_loss_warnings() as found:
        result = logdir.refresh()
        logdir.scalars
    return result, [str(w.message) for w in found]
