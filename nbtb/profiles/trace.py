"""The tidy shape every profile format is read into: the columns of `Profile.events`, `.threads`, `.memory`.

Readers (torch_trace.py for Chrome-trace JSON, xplane.py for XSpace) fill a `Trace` of flat columns;
profile.py then sorts, assigns steps and builds the frames, so both formats follow the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EVENT_COLUMNS = ["name", "cat", "pid", "tid", "ts", "dur", "step", "args"]
THREAD_COLUMNS = ["pid", "tid", "process", "thread", "sort"]
STEP_COLUMNS = ["step", "start", "end"]
MEMORY_COLUMNS = ["ts", "allocated", "reserved", "device"]


@dataclass
class Trace:
    """Complete events as parallel columns (µs), plus lane names and memory samples."""

    name: list
    cat: list
    pid: np.ndarray  # int64
    tid: np.ndarray  # int64
    ts: np.ndarray  # float64, µs, absolute as in the file
    dur: np.ndarray  # float64, µs
    args: list | None  # dict | None per event; None when only args_raw is known (fast path)
    # (pid, tid) -> name; pid -> name; sort indices from the file's metadata where it has them
    process_names: dict = field(default_factory=dict)
    thread_names: dict = field(default_factory=dict)
    process_sort: dict = field(default_factory=dict)
    thread_sort: dict = field(default_factory=dict)
    memory: pd.DataFrame | None = None
    # the fast path's args: each event's args object as raw JSON bytes (b"" when none), parsed on demand
    args_raw: Sequence[bytes] | None = None
    # the fast path's "correlation" arg of each event (-1 where none), read while scanning
    correlation: np.ndarray | None = None
    # the fast path's name and cat columns also as (codes, table of distinct values): spares
    # hashing 650k strings again to group or encode them
    codes: dict = field(default_factory=dict)
    # the text of string pids/tids (Kineto's "Spans"), by the negative code they were given
    id_names: dict = field(default_factory=dict)
    # (step number, start, end) of the host-side step markers, in µs
    step_marks: list = field(default_factory=list)


class RawArgs(Sequence):
    """Each event's args as raw JSON bytes (b"" when none), sliced on demand from one buffer:
    one bytes object and an offsets array instead of a million small bytes objects."""

    def __init__(self, blob: bytes, ends: np.ndarray) -> None:
        self.blob = blob
        self.ends = ends
        self.starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]]) if len(ends) else ends

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.blob[int(self.starts[i]):int(self.ends[i])]

    def __iter__(self) -> Iterator[bytes]:
        blob = self.blob
        return (blob[a:b] for a, b in zip(self.starts.tolist(), self.ends.tolist()))


def empty_memory() -> pd.DataFrame:
    return pd.DataFrame({"ts": np.array([], np.float64), "allocated": np.array([], np.int64),
                         "reserved": np.array([], np.int64), "device": np.array([], object)})


def device_name(device_type: int, device_id: int) -> str:
    """c10::DeviceType numbering (CPU = 0, CUDA = 1, …): "cpu", "cuda:0", or "type<N>:<id>" otherwise."""
    if device_type == 0:
        return "cpu"
    if device_type == 1:
        return f"cuda:{device_id}"
    return f"type{device_type}:{device_id}"
