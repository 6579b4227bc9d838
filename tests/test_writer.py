"""nbtb.SummaryWriter: torch's method names, TensorBoard's file layout, read back by TensorBoard itself."""

from __future__ import annotations

import os
import re
import socket

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_file_loader

import nbtb
import tensorboard_reference


def test_file_name_and_first_record(tmp_path):
    with nbtb.SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 1.5, 3)
    (name,) = os.listdir(tmp_path)
    assert re.fullmatch(rf"events\.out\.tfevents\.\d{{10}}\.{re.escape(socket.gethostname())}\.{os.getpid()}\.\d+", name)
    from tensorboard.compat.proto import event_pb2

    raw = event_file_loader.RawEventFileLoader(str(tmp_path / name)).Load()
    events = [event_pb2.Event.FromString(r) for r in raw]
    assert events[0].file_version == "brain.Event:2"
    assert events[1].summary.value[0].simple_value == 1.5 and events[1].step == 3


def test_tensorboard_reads_back_what_was_written(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.normal(size=20)
    with nbtb.SummaryWriter(tmp_path / "run") as w:
        for step, v in enumerate(values):
            w.add_scalar("x", v, step, walltime=1000.0 + step)
        w.add_scalar("exact", 0.1, 0, double_precision=True)
        w.add_histogram("h", rng.normal(size=300), 5, bins=16)
        w.add_image("img", rng.integers(0, 255, (10, 7, 3), dtype=np.uint8), 2, dataformats="HWC")
        w.add_images("batch", rng.random((3, 1, 4, 4)), 2)
        w.add_text("note", "*hi*", 1)
    ref = tensorboard_reference.read(str(tmp_path))
    x = ref["scalars"][("run", "x")]
    assert [e[0] for e in x] == list(range(20)) and [e[1] for e in x] == [1000.0 + s for s in range(20)]
    np.testing.assert_array_equal([float(e[2]) for e in x], values.astype(np.float32))
    assert float(ref["scalars"][("run", "exact")][0][2]) == 0.1  # double kept exactly
    (img,) = ref["images"][("run", "img")]
    assert (int(img[2][0]), int(img[2][1])) == (7, 10)  # width, height
    ((_, _, batch),) = ref["images"][("run", "batch")]
    assert (int(batch[0]), int(batch[1])) == (12, 4)  # three 4x4 tiles side by side
    (hist,) = ref["histograms"][("run", "h")]
    assert hist[2][:, 2].sum() == 300
    assert ref["text"][("run", "note/text_summary")][0][2].reshape(-1)[0] == b"*hi*"


def test_add_scalars_and_purge_step(tmp_path):
    with nbtb.SummaryWriter(tmp_path) as w:
        for step in range(10):
            w.add_scalars("loss", {"train": step, "val": -step}, step)
    with nbtb.SummaryWriter(tmp_path, purge_step=5) as w:
        for step in range(5, 8):
            w.add_scalar("other", 1.0, step)
    lg = nbtb.load(tmp_path)
    assert lg.runs == [".", "loss_train", "loss_val"]
    assert lg.scalars.query("run == 'loss_val'")["value"].tolist() == [-s for s in range(10)]


def test_hparams_are_what_the_hparams_dashboard_reads(tmp_path):
    with nbtb.SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "opt": "adam", "bn": False}, {"acc": 0.75}, run_name="trial1")
    hp = nbtb.load(tmp_path).hparams
    row = hp.iloc[0]
    assert row["run"] == "trial1" and row["lr"] == 0.01 and row["opt"] == "adam" and row["bn"] == False  # noqa: E712
    assert row["acc"] == 0.75
    assert "hparams" in tensorboard_reference.read(str(tmp_path))


def test_closed_writer_refuses_writes(tmp_path):
    w = nbtb.SummaryWriter(tmp_path)
    w.close()
    with pytest.raises(ValueError, match="closed"):
        w.add_scalar("x", 1.0, 0)
