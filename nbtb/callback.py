"""`nbtb.Callback`: log from a training loop (or Keras' `fit`) into event files and, at once, into every
dashboard of that logdir displayed in this kernel.

Every point goes through `nbtb.SummaryWriter`, so TensorBoard and later sessions see it. The
callback flushes at most every `flush_interval` seconds (a background flusher writes the tail when
the loop pauses); each flush wakes the displayed dashboards (nbtb.live), whose reload thread reads
only the new bytes and sends only the new points, at most ~10 messages a second. The training
thread never waits on a browser: no dashboard, a closed tab or a cleared output cost nothing.

Keras: pass it to `model.fit(callbacks=[nbtb.Callback("logs/run_a")])`. It follows Keras'
TensorBoard callback layout: runs `train` and `validation` under the log dir, `epoch_<metric>` per
epoch (`val_` metrics to `validation`, prefix stripped) and, with `update_freq="batch"` or N,
`batch_<metric>` every N batches. It is duck-typed (Keras calls the `on_*` hooks), so importing nbtb
never imports Keras.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import Any, Mapping

from .writer import SummaryWriter


class Callback:
    def __init__(self, log_dir: str | os.PathLike, *, flush_interval: float = 0.05,
                 update_freq: str | int = "epoch") -> None:
        self.log_dir = os.fspath(log_dir)
        self.flush_interval = float(flush_interval)
        self.update_freq = update_freq
        self._writers: dict[str, SummaryWriter] = {}
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        self._dirty = False
        self._closed = False
        self._batches = 0  # Keras: the batch counter runs across epochs, as Keras' callback does
        self._flusher: threading.Thread | None = None
        self._stop = threading.Event()
        # Keras reads these attributes of a callback
        self.model: Any = None
        self.params: dict = {}
        self._supports_tf_logs = False
        self.async_safe = False

    # ---- plain use -------------------------------------------------------------------------
    def log(self, step: int, run: str | None = None, **scalars: float) -> None:
        """`cb.log(step, loss=0.3, acc=0.9)`: one scalar per keyword, tag = the keyword."""
        writer = self._writer(run)
        for tag, value in scalars.items():
            writer.add_scalar(tag, value, step)
        self._written()

    def scalar(self, tag: str, value: float, step: int, run: str | None = None) -> None:
        self._writer(run).add_scalar(tag, value, step)
        self._written()

    def histogram(self, tag: str, values: Any, step: int, run: str | None = None, bins: Any = "tensorflow") -> None:
        self._writer(run).add_histogram(tag, values, step, bins=bins)
        self._written()

    def image(self, tag: str, image: Any, step: int, run: str | None = None, dataformats: str = "HWC") -> None:
        self._writer(run).add_image(tag, image, step, dataformats=dataformats)
        self._written()

    def text(self, tag: str, text: str, step: int, run: str | None = None) -> None:
        self._writer(run).add_text(tag, text, step)
        self._written()

    def flush(self) -> None:
        with self._lock:
            writers = list(self._writers.values())
            self._dirty = False
            self._last_flush = time.monotonic()
        for writer in writers:
            writer.flush()

    def close(self) -> None:
        """Flush and close the files; the callback cannot log afterwards."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self.flush()
        for writer in self._writers.values():
            writer.close()

    def __enter__(self) -> "Callback":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing --------------------------------------------------------------------------
    def _writer(self, run: str | None) -> SummaryWriter:
        if self._closed:
            raise ValueError(f"nbtb.Callback for {self.log_dir} is closed")
        key = run or ""
        writer = self._writers.get(key)
        if writer is None:
            with self._lock:
                writer = self._writers.get(key)
                if writer is None:
                    path = os.path.join(self.log_dir, run) if run else self.log_dir
                    # flush_secs: never flush on the writer's own clock; this class decides
                    writer = self._writers[key] = SummaryWriter(path, flush_secs=float("inf"))
        return writer

    def _written(self) -> None:
        self._dirty = True
        if time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()
        elif self._flusher is None:
            self._start_flusher()

    def _start_flusher(self) -> None:
        # Flushes the tail of a burst once the loop pauses; holds only a weak reference.
        ref = weakref.ref(self)
        stop, interval = self._stop, self.flush_interval

        def run() -> None:
            while not stop.wait(interval):
                cb = ref()
                if cb is None:
                    return
                if cb._dirty and time.monotonic() - cb._last_flush >= interval:
                    cb.flush()
                del cb

        self._flusher = threading.Thread(target=run, name="nbtb-callback-flush", daemon=True)
        self._flusher.start()

    # ---- Keras -----------------------------------------------------------------------------
    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: Mapping) -> None:
        self.params = dict(params)

    def _keras_logs(self, logs: Mapping | None, step: int, prefix: str) -> None:
        for name, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            run, metric = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writer(run).add_scalar(f"{prefix}_{metric}", value, step)
        self._written()

    def on_epoch_end(self, epoch: int, logs: Mapping | None = None) -> None:
        self._keras_logs(logs, epoch, "epoch")
        lr = _learning_rate(self.model)
        if lr is not None:
            self._writer("train").add_scalar("epoch_learning_rate", lr, epoch)
        self.flush()

    def on_train_batch_end(self, batch: int, logs: Mapping | None = None) -> None:
        self._batches += 1
        freq = self.update_freq
        every = 1 if freq == "batch" else freq if isinstance(freq, int) else 0
        if every and self._batches % every == 0:
            self._keras_logs(logs, self._batches, "batch")

    def on_train_end(self, logs: Mapping | None = None) -> None:
        self.flush()

    def __getattr__(self, name: str) -> Any:
        # Every other Keras hook (on_train_begin, on_test_batch_end, …) is a no-op.
        if name.startswith("on_"):
            return _noop
        raise AttributeError(name)


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _learning_rate(model: Any) -> float | None:
    try:
        return float(model.optimizer.learning_rate)
    except Exception:
        return None
