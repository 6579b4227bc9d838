"""Scan a large Kineto-layout text on every core: one group of pieces per core, in forked processes.

The regex scan and the column building of kineto_fast.py are Python/C work under the GIL, so
threads do not help; forked children do, and they see the parent's text without a copy
(copy-on-write). The parent cuts what is left to scan at event starts into one group per core,
forks a child for each group but the first, scans the first itself, then reads each child's
`Piece`s (numpy arrays, distinct names with codes, args as one buffer: a few pickled objects,
not a million) from a pipe. For a gzip file, the pieces inflated before the last one arrives are
scanned in this process meanwhile (`parse_kineto_stream`): inflating is serial, and a fork
needs the text it shares to be there already.

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
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection

from .kineto_fast import EVENT_START, Piece, assemble, cut_chunks, looks_like_kineto, scan_piece
from .trace import Trace

MIN_PARALLEL_BYTES = 20 << 20  # below this, forking costs more than it saves
MAX_WORKERS = 8
# a child is given this long after the parent's own group is done (plus twice the time that
# took) before its group is scanned here instead
GRACE_S = 10.0
# this process's share of what is left, against 1 for each child: a child's pieces cost it
# pickling and a pipe write, and this process a read and unpickling, before they can be joined
# (1.3 measured best on 651k and 1M complete events, 2 cores)
FIRST_SHARE = 1.3
STREAM_PIECE = 2 << 20  # bytes of text scanned at a time while the rest is still being inflated


def worker_count(size: int) -> int:
    """How many pieces to cut a text of `size` bytes into (1 = scan it in this process)."""
    if size < MIN_PARALLEL_BYTES or not hasattr(os, "fork") or sys.platform in ("win32", "emscripten"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS, size // MIN_PARALLEL_BYTES))


Range = tuple[bytes, int, int]  # (buffer, start, stop): whole events, scanned in place


def parse_kineto_text(text: bytes, workers: int | None = None) -> Trace | None:
    """kineto_fast.parse_kineto_layout, the pieces scanned on `workers` cores (default: as many as
    pay, see `worker_count`). None when the text is not Kineto's layout."""
    if not looks_like_kineto(text):
        return None
    workers = worker_count(len(text)) if workers is None else workers
    return _assembled(scan_ranges([(text, 0, len(text))], workers))


def parse_kineto_stream(chunks: Iterable[bytes], finished: Callable[[], bool], workers: int) -> Trace | None:
    """The same for text still arriving in chunks (a gzip stream inflated on another thread):
    while it arrives, each chunk is scanned here; once `finished()` says every chunk is there, what
    is left is shared among `workers` processes."""
    pieces: list[Piece | None] = []
    ranges = cut_chunks(chunks)
    for k, r in enumerate(ranges):
        if k == 0 and not looks_like_kineto(r[0]):
            return None
        # scanned in small pieces: the inflating thread needs the GIL between its zlib calls, and
        # a regex call over a whole chunk would hold it for ~50 ms each time
        small = _small([r])
        while small and not finished():
            pieces.append(scan_piece(*small.pop(0)))
            if pieces[-1] is None:
                return None
        if small:  # every chunk is there: share out what is left
            pieces += scan_ranges(small + list(ranges), workers)
            break
    return _assembled(pieces)


def _assembled(pieces: list[Piece | None]) -> Trace | None:
    return assemble(pieces) if all(p is not None for p in pieces) else None  # type: ignore[arg-type]


def split(ranges: list[Range], n: int, first: float = 1.0) -> list[list[Range]]:
    """The ranges shared into n (or fewer) consecutive groups, the first `first` times the size
    of each other one, cutting a range where needed just before an event start, so no event
    straddles two groups."""
    total = sum(b - a for _, a, b in ranges)
    ends = [int(total * (first + k) / (first + n - 1)) for k in range(n - 1)]  # where groups 0..n-2 end
    groups: list[list[Range]] = [[]]
    done = 0  # bytes in the groups so far
    for buf, a, b in ranges:
        while len(groups) < n and done + (b - a) > ends[len(groups) - 1]:
            at = buf.find(EVENT_START, a + max(ends[len(groups) - 1] - done, 1), b)
            if at < 0:
                break  # no event starts there: the next group starts with the next range
            groups[-1].append((buf, a, at))
            done += at - a
            a = at
            groups.append([])
        groups[-1].append((buf, a, b))
        done += b - a
    return [g for g in groups if g]


def _small(ranges: list[Range]) -> list[Range]:
    """The ranges cut into pieces of about STREAM_PIECE bytes. Scanned in this process, each
    regex call then holds the GIL for milliseconds, not a second: the kernel's other threads
    (sending the widget to the browser, say) keep running while a profile is read in a thread.
    In a child, a piece's transient rows (a tuple per event) stay a few MB instead of hundreds."""
    return [x for r in ranges for g in split([r], -(-(r[2] - r[1]) // STREAM_PIECE)) for x in g]


def scan_ranges(ranges: list[Range], workers: int) -> list[Piece | None]:
    """`scan_piece` of each range, the ranges shared among `workers` processes (this one too)."""
    groups = split(ranges, workers, first=FIRST_SHARE) if workers > 1 else [ranges]
    children = [_Child.start(g) for g in groups[1:]]
    t0 = time.perf_counter()
    pieces = [scan_piece(*r) for r in _small(groups[0])]
    deadline = time.perf_counter() + GRACE_S + 2 * (time.perf_counter() - t0)
    for child, group in zip(children, groups[1:]):
        got = child.result(deadline)
        pieces += got if got is not _FAILED else [scan_piece(*r) for r in group]
    return pieces


_FAILED = object()


class _Child:
    """One forked process scanning some ranges and sending back their pickled Pieces."""

    def __init__(self, pid: int, conn: Connection | None) -> None:
        self.pid, self.conn = pid, conn

    @classmethod
    def start(cls, ranges: list[Range]) -> "_Child":
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
                reply = pickle.dumps(("pieces", _child_scan(ranges)), protocol=pickle.HIGHEST_PROTOCOL)
                Connection(w).send_bytes(reply)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        return cls(pid, Connection(r))

    def result(self, deadline: float):
        """The child's Pieces (None for one not in the layout), or _FAILED."""
        if self.conn is None:
            return _FAILED
        out = _FAILED
        try:
            if self.conn.poll(max(0.0, deadline - time.perf_counter())):
                kind, pieces = pickle.loads(self.conn.recv_bytes())
                if kind == "pieces" and all(p is None or isinstance(p, Piece) for p in pieces):
                    out = pieces
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


def _child_scan(ranges: list[Range]) -> list[Piece | None]:
    """What a child does (a separate function so tests can make it fail)."""
    return [scan_piece(*r) for r in _small(ranges)]
