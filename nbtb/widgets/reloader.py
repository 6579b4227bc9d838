"""The background thread that keeps a displayed dashboard up to date.

The thread holds only a weak reference to its widget: a dashboard that is garbage-collected stops
its thread (a ``weakref.finalize`` also wakes it at once), and ``close()`` sets the stop event.
Between ticks it holds no reference at all, so the thread never keeps a widget alive.
"""

from __future__ import annotations

import threading
import weakref
from typing import Protocol


class Reloadable(Protocol):
    def reload_once(self) -> object: ...
    def _report_error(self, exc: BaseException) -> None: ...


class Reloader:
    """Calls ``widget.reload_once()`` every ``interval`` seconds until stopped."""

    def __init__(self, widget: Reloadable, interval: float) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0 (0 means: do not create a Reloader)")
        self.interval = float(interval)
        self.stopped = threading.Event()
        self._finalizer = weakref.finalize(widget, self.stopped.set)
        self.thread = threading.Thread(
            target=_loop, args=(weakref.ref(widget), self.stopped, self.interval),
            name=f"nbtb-reload-{id(widget):x}", daemon=True,  # never blocks interpreter exit
        )
        self.thread.start()

    def stop(self, wait: float | None = None) -> None:
        self.stopped.set()
        self._finalizer.detach()
        if wait is not None and self.thread is not threading.current_thread():
            self.thread.join(wait)

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


def _loop(ref: weakref.ref, stopped: threading.Event, interval: float) -> None:
    while not stopped.wait(interval):
        widget = ref()
        if widget is None:
            return
        try:
            widget.reload_once()
        except Exception as exc:  # a reload error belongs in the header, not in the kernel
            try:
                widget._report_error(exc)
            except Exception:
                pass
        finally:
            del widget  # drop the strong reference before sleeping
