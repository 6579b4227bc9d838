"""Scan a large Kineto-layout text on every core: one piece per core, in forked processes.

The regex scan and the column building of kineto_fast.py are pure Python/C work under the GIL,
so threads do not help; forked children do, and they see the parent's text without a copy
(copy-on-write). The parent cuts the text at event starts, forks one child per piece but the
first, scans the first piece itself, then reads each child's `Piece` (numpy arrays, distinct
names with codes, args as one buffer: a few pickled objects, not a million) from a pipe.

Only where it pays and is safe: a text of at least `MIN_PARALLEL_BYTES`, a platform with
`os.fork`, more than one usable core. A child that fails (an exception, a crash, a non-piece
reply, or no reply within the deadline) has its piece scanned by the parent instead, so the result
never depends on the children. The child runs only re/numpy/pickle code and leaves with
`os._exit`: no atexit handlers, no flushing of the parent's streams (inside a Jupyter kernel
those belong to threads the child does not have).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import time
import warnings
from multiprocessing.connection import Connection

from .kineto_fast import EVENT_START, Piece, assemble, looks_like_kineto, scan_piece
from .trace import Trace

MIN_PARALLEL_BYTES = 20 << 20  # below this, forking costs more than it saves
MAX_WORKERS = 8
# a child is given this long after the parent's own piece is done (plus the time that took,
# scaled by its share) before its piece is scanned here instead
GRACE_S = 10.0


def worker_count(size: int) -> int:
    """How many pieces to cut a text of `size` bytes into (1 = scan it in this process)."""
    if size < MIN_PARALLEL_BYTES or not hasattr(os, "fork") or sys.platform in ("win32", "emscripten"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS, size // MIN_PARALLEL_BYTES))


def cut(text: bytes, n: int) -> list[tuple[int, int]]:
    """text split into n (or fewer) consecutive (start, stop) ranges, each cut just before an
    event start, so no event straddles two pieces."""
    bounds = [0]
    for k in range(1, n):
        at = text.find(EVENT_START, max(len(text) * k // n, bounds[-1] + 1))
        if at < 0:
            break
        bounds.append(at)
    bounds.append(len(text))
    return list(zip(bounds[:-1], bounds[1:]))


def parse_kineto_text(text: bytes, workers: int | None = None) -> Trace | None:
    """kineto_fast.parse_kineto_layout, the pieces scanned on `workers` cores (default: as many as
    pay, see `worker_count`). None when the text is not Kineto's layout."""
    if not looks_like_kineto(text):
        return None
    workers = worker_count(len(text)) if workers is None else workers
    pieces = scan_parallel(text, workers) if workers > 1 else [scan_piece(text, 0, len(text))]
    return assemble(pieces) if all(p is not None for p in pieces) else None


def scan_parallel(text: bytes, workers: int) -> list[Piece | None]:
    """`scan_piece` of each piece of `text`, pieces scanned in `workers` processes (this one too)."""
    ranges = cut(text, workers)
    children = [_Child.start(text, a, b) for a, b in ranges[1:]]
    t0 = time.perf_counter()
    pieces = [scan_piece(text, *ranges[0])]
    deadline = time.perf_counter() + GRACE_S + 2 * (time.perf_counter() - t0)
    for child, (a, b) in zip(children, ranges[1:]):
        got = child.result(deadline)
        pieces.append(got if got is not _FAILED else scan_piece(text, a, b))
    return pieces


_FAILED = object()


class _Child:
    """One forked process scanning text[a:b] and sending back its pickled Piece (or None)."""

    def __init__(self, pid: int, conn: Connection | None) -> None:
        self.pid, self.conn = pid, conn

    @classmethod
    def start(cls, text: bytes, a: int, b: int) -> "_Child":
        try:
            r, w = os.pipe()
        except OSError:
            return cls(0, None)
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork in a process with threads; the child only runs
            # this module's code and _exits, which is what that warning is about
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                pid = os.fork()
            except OSError:
                os.close(r)
                os.close(w)
                return cls(0, None)
        if pid == 0:  # the child
            code = 1
            try:
                os.close(r)
                reply = pickle.dumps(("piece", _child_scan(text, a, b)), protocol=pickle.HIGHEST_PROTOCOL)
                Connection(w).send_bytes(reply)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        return cls(pid, Connection(r))

    def result(self, deadline: float):
        """The child's Piece (None: not the layout), or _FAILED."""
        if self.conn is None:
            return _FAILED
        out = _FAILED
        try:
            if self.conn.poll(max(0.0, deadline - time.perf_counter())):
                kind, piece = pickle.loads(self.conn.recv_bytes())
                if kind == "piece" and (piece is None or isinstance(piece, Piece)):
                    out = piece
        except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError):
            pass
        finally:
            self.conn.close()
            self._reap(out is _FAILED)
        return out

    def _reap(self, kill: bool) -> None:
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def _child_scan(text: bytes, a: int, b: int) -> Piece | None:
    """What a child does (a separate function so tests can make it fail)."""
    return scan_piece(text, a, b)
