"""Live updates: nbtb.Callback writes, flushes wake displayed dashboards, nothing lost or doubled."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest

import nbtb
from nbtb import live
from nbtb.widgets.reloader import Reloader


class Counter:
    """A stand-in widget for the reload thread: counts reloads."""

    def __init__(self) -> None:
        self.reloads: list[float] = []

    def reload_once(self) -> bool:
        self.reloads.append(time.monotonic())
        return True

    def _report_error(self, exc: BaseException) -> None:  # pragma: no cover - never called here
        raise AssertionError(exc)


def test_wake_reloads_at_once_instead_of_waiting_for_the_interval():
    widget = Counter()
    reloader = Reloader(widget, interval=60)
    try:
        start = time.monotonic()
        reloader.wake()
        deadline = start + 5
        while not widget.reloads and time.monotonic() < deadline:
            time.sleep(0.005)
        assert widget.reloads and widget.reloads[0] - start < 1.0
    finally:
        reloader.stop(wait=2)
    assert not reloader.alive


def test_a_storm_of_wakes_is_coalesced_to_about_ten_reloads_a_second():
    widget = Counter()
    reloader = Reloader(widget, interval=60)
    try:
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            reloader.wake()
            time.sleep(0.001)
        time.sleep(0.15)
    finally:
        reloader.stop(wait=2)
    assert 5 <= len(widget.reloads) <= 12  # MIN_GAP = 0.1 s
    gaps = np.diff(widget.reloads)
    assert (gaps >= 0.09).all()


def test_poke_reaches_only_watchers_of_an_enclosing_logdir(tmp_path):
    class Watcher:
        def __init__(self, path):
            self.path, self.woken = str(path), 0

        def watched_paths(self):
            return [self.path]

        def wake(self):
            self.woken += 1

    parent, other = Watcher(tmp_path / "logs"), Watcher(tmp_path / "elsewhere")
    live.watch(parent)
    live.watch(other)
    try:
        assert live.poke(tmp_path / "logs" / "run_a") >= 1
        assert parent.woken == 1 and other.woken == 0
        assert live.poke(tmp_path / "logs_not_a_child") == 0
    finally:
        live.unwatch(parent)
        live.unwatch(other)
    del parent, other
    gc.collect()
    assert live.poke(tmp_path / "logs") == 0  # nothing watched: nothing to do


def test_callback_points_are_in_the_file_exactly_once(tmp_path):
    rng = np.random.default_rng(0)
    losses = rng.random(500)
    with nbtb.Callback(tmp_path / "run_a") as cb:
        for step, loss in enumerate(losses):
            cb.log(step, loss=loss, acc=1 - loss)
        cb.histogram("weights", rng.normal(size=100), 499)
    df = nbtb.load(tmp_path).scalars
    loss = df[df.tag == "loss"]
    assert loss["step"].tolist() == list(range(500))
    np.testing.assert_array_equal(loss["value"].to_numpy(), losses.astype(np.float32))
    assert len(df[df.tag == "acc"]) == 500
    assert len(nbtb.load(tmp_path).histograms) == 1


def test_the_tail_of_a_burst_is_flushed_without_another_call(tmp_path):
    cb = nbtb.Callback(tmp_path, flush_interval=0.05)
    lg = nbtb.load(tmp_path)
    for step in range(3):
        cb.log(step, loss=float(step))
    deadline = time.monotonic() + 3
    while len(lg.scalars) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
        lg.refresh()
    assert lg.scalars["step"].tolist() == [0, 1, 2]
    cb.close()
    with pytest.raises(ValueError, match="closed"):
        cb.log(3, loss=1.0)


def test_keras_style_hooks_write_keras_layout(tmp_path):
    cb = nbtb.Callback(tmp_path / "lr_0.1", update_freq=2)
    cb.set_params({"epochs": 2})
    for epoch in range(2):
        for batch in range(4):
            cb.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1), "mae": 0.5})
        cb.on_epoch_end(epoch, {"loss": 0.5 - epoch / 10, "val_loss": 0.6 - epoch / 10, "val_mae": 0.4})
    cb.on_train_end()
    cb.on_test_begin()  # any other hook is accepted and ignored
    cb.close()
    lg = nbtb.load(tmp_path)
    assert lg.runs == ["lr_0.1/train", "lr_0.1/validation"]
    tags = lg.tags.groupby("run")["tag"].apply(set).to_dict()
    assert tags["lr_0.1/train"] == {"epoch_loss", "batch_loss", "batch_mae"}
    assert tags["lr_0.1/validation"] == {"epoch_loss", "epoch_mae"}
    batch = lg.scalars.query("tag == 'batch_loss'")
    assert batch["step"].tolist() == [2, 4, 6, 8]  # every 2 batches, counter across epochs


def test_a_displayed_dashboard_gets_callback_points_without_waiting(tmp_path):
    """Flushes wake the dashboard's reload thread: points arrive long before reload_interval."""
    import anywidget  # noqa: F401
    from nbtb.widgets.dashboard import Dashboard

    with nbtb.Callback(tmp_path / "run") as cb:
        cb.log(0, loss=1.0)
        cb.flush()
        dash = Dashboard(str(tmp_path), reload_interval=60)
        sent: list[dict] = []
        dash.send = lambda content, buffers=None: sent.append(content)  # no comm in a test
        dash._repr_mimebundle_()  # as when displayed: starts the reload thread, watches the logdir
        dash.scalars_messages({"tag": "loss", "runs": ["run"], "width": 400})  # the browser asked
        try:
            start = time.monotonic()
            for step in range(1, 6):
                cb.log(step, loss=1.0 / (step + 1))
            cb.flush()
            deadline = start + 5
            while not any(m.get("kind") == "scalars_append" for m in sent) and time.monotonic() < deadline:
                time.sleep(0.01)
            appends = [m for m in sent if m.get("kind") == "scalars_append"]
            assert appends and time.monotonic() - start < 2.0
            assert sum(s["n"] for m in appends for s in m["series"]) >= 1
        finally:
            dash.close()
        assert live.poke(tmp_path) == 0  # a closed dashboard is no longer watched


def test_other_writers_flushes_show_within_a_poll_not_the_interval(tmp_path):
    """A writer nbtb does not know (tensorboardX here; torch's or another process's alike) only
    appends bytes; the reload thread's stat poll notices them long before reload_interval."""
    import anywidget  # noqa: F401
    from tensorboardX import SummaryWriter as OtherWriter

    from nbtb.widgets.dashboard import Dashboard

    w = OtherWriter(str(tmp_path / "run"))
    w.add_scalar("loss", 1.0, 0)
    w.flush()
    dash = Dashboard(str(tmp_path), reload_interval=60)
    sent: list[dict] = []
    dash.send = lambda content, buffers=None: sent.append(content)
    dash._repr_mimebundle_()
    dash.scalars_messages({"tag": "loss", "runs": ["run"], "width": 400})
    try:
        start = time.monotonic()
        for step in range(1, 4):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.flush()
        while not any(m.get("kind") == "scalars_append" for m in sent) and time.monotonic() - start < 5:
            time.sleep(0.01)
        assert any(m.get("kind") == "scalars_append" for m in sent)
        assert time.monotonic() - start < 2.0
    finally:
        dash.close()
        w.close()
