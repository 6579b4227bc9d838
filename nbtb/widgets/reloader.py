"""The background thread that keeps a displayed dashboard up to date.

The thread holds only a weak reference to its widget: a dashboard that is garbage-collected stops
its thread (a ``weakref.finalize`` also wakes it at once), and ``close()`` sets the stop event.
Between ticks it holds no reference at all, so the thread never keeps a widget alive.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Protocol


class Reloadable(Protocol):
    def reload_once(self) -> object: ...
    def _report_error(self, exc: BaseException) -> None: ...
    def data_waiting(self) -> bool: ...  # cheap: did a known file grow?


# A wake-up (a flush in this kernel) reloads at once, but never more often than this: at most
# ~10 messages a second per dashboard however fast a training loop flushes.
MIN_GAP = 0.1
# Between full reloads, known files are stat-ed this often, so a flush by any other writer (torch's
# SummaryWriter in this kernel, a script in another process) shows within a fraction of a second.
POLL = 0.25


class Reloader:
    """Calls ``widget.reload_once()`` every ``interval`` seconds, or at once when woken, until stopped."""

    def __init__(self, widget: Reloadable, interval: float, min_gap: float = MIN_GAP) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0 (0 means: do not create a Reloader)")
        self.interval = float(interval)
        self.stopped = threading.Event()
        self.woken = threading.Event()
        self._finalizer = weakref.finalize(widget, self._end)
        self.thread = threading.Thread(
            target=_loop, args=(weakref.ref(widget), self.stopped, self.woken, self.interval, min_gap),
            name=f"nbtb-reload-{id(widget):x}", daemon=True,  # never blocks interpreter exit
        )
        self.thread.start()

    def _end(self) -> None:
        self.stopped.set()
        self.woken.set()  # so the loop's wait returns now

    def wake(self) -> None:
        """Reload now (or as soon as MIN_GAP since the last reload has passed)."""
        self.woken.set()

    def stop(self, wait: float | None = None) -> None:
        self._end()
        self._finalizer.detach()
        if wait is not None and self.thread is not threading.current_thread():
            self.thread.join(wait)

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


def _loop(ref: weakref.ref, stopped: threading.Event, woken: threading.Event, interval: float,
          min_gap: float) -> None:
    due = time.monotonic() + interval
    while True:
        woken.wait(max(0.0, min(POLL, due - time.monotonic())))
        was_woken = woken.is_set()
        woken.clear()
        if stopped.is_set():
            return
        widget = ref()
        if widget is None:
            return
        try:
            if not (was_woken or time.monotonic() >= due or _grew(widget)):
                continue
            due = time.monotonic() + interval
            widget.reload_once()
        except Exception as exc:  # a reload error belongs in the header, not in the kernel
            try:
                widget._report_error(exc)
            except Exception:
                pass
        finally:
            del widget  # drop the strong reference before sleeping
        if stopped.wait(min_gap):  # coalesce wake-ups that arrive while reloading
            return


def _grew(widget: Reloadable) -> bool:
    check = getattr(widget, "data_waiting", None)
    return bool(check()) if check is not None else False
