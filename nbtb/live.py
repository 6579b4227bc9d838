"""Which displayed dashboards watch which logdirs, so a flush in this kernel refreshes them at once.

`SummaryWriter.flush()` calls `poke(log_dir)`; every watching dashboard whose logdir contains that
directory wakes its reload thread instead of waiting for the next interval. With nothing displayed
this is one empty-set check: training loops pay nothing for it.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Protocol


class Watcher(Protocol):
    def watched_paths(self) -> list[str]: ...
    def wake(self) -> None: ...


_watchers: "weakref.WeakSet[Watcher]" = weakref.WeakSet()
_lock = threading.Lock()


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(os.fspath(path))) if "://" not in str(path) else str(path)


def watch(watcher: Watcher) -> None:
    with _lock:
        _watchers.add(watcher)


def unwatch(watcher: Watcher) -> None:
    with _lock:
        _watchers.discard(watcher)


def poke(log_dir: str | os.PathLike) -> int:
    """Wake every watcher of a logdir containing `log_dir`; returns how many were woken."""
    if not _watchers:
        return 0
    target = _norm(log_dir)
    with _lock:
        watchers = list(_watchers)
    woken = 0
    for watcher in watchers:
        try:
            roots = [_norm(p) for p in watcher.watched_paths()]
            if any(target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
                watcher.wake()
                woken += 1
        except Exception:  # a closed or half-built dashboard must never break a training loop
            continue
    return woken
