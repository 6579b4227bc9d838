"""TF / JAX profiler XSpace files (`<host>.xplane.pb`) → a `Trace` of columns.

Layout (FORMATS.md §8; nbtb/proto/xplane.proto): XSpace → planes → lines → events. An event starts
at line.timestamp_ns * 1000 + offset_ps picoseconds; its name is the plane's event_metadata[
metadata_id].name, its stats name via the plane's stat_metadata. Here µs = ps / 1e6; pid = plane
id (the plane's position when ids repeat, as TF's host planes may all be id 0), tid = line id.

Cats, so the overview applies the same rules as for torch traces:
- device planes ("/device:GPU:0", "/device:TPU:0", …): events on stream lines are "kernel", or
  "gpu_memcpy"/"gpu_memset" by name; the derived lines ("Steps", "XLA Modules", "XLA Ops", "Source",
  …) repeat that time and get "step_marker"/"xla_module"/"xla_op"/"device_annotation".
- host planes ("/host:CPU", …): "cpu_op"; CUDA API calls (cu*/cuda*) "cuda_runtime".
Steps: host events carrying a `step_num` stat (Keras' "Profiled batch", tf.profiler.experimental
.Trace(step_num=…)); else the device "Steps" line, numbered by its event names when they are numbers.
Names are the metadata's full `name`; a different `display_name` goes into args["display_name"].
Args: the event's stats as {stat name: value} (ref_value → the referenced name; bytes → hex).
"""

from __future__ import annotations

import re

import numpy as np

from .trace import Trace, empty_memory

_DERIVED_LINES = {"Steps": "step_marker", "XLA Modules": "xla_module", "XLA Ops": "xla_op",
                  "TensorFlow Name Scope": "device_annotation", "TensorFlow Ops": "device_annotation",
                  "Source code": "device_annotation", "Framework Name Scope": "device_annotation",
                  "Framework Ops": "device_annotation", "Launch Stats": "device_annotation",
                  "SparseCore Ops": "device_annotation", "Async XLA Ops": "xla_op"}


_CUDA_API = re.compile(r"^cu(da)?[A-Z]")


def parse_xspace(raw: bytes, path: str) -> Trace:
    from google.protobuf.message import DecodeError

    from ..proto import xplane_pb2

    space = xplane_pb2.XSpace()
    try:
        space.ParseFromString(raw)
    except DecodeError as exc:
        raise ValueError(f"{path}: not an XSpace protobuf ({exc})") from None
    planes = [p for p in space.planes if p.lines]
    ids = [p.id for p in planes]
    use_index = len(set(ids)) != len(ids)

    names: list[str] = []
    cats: list[str] = []
    pids: list[int] = []
    tids: list[int] = []
    start_ps: list[int] = []
    dur_ps: list[int] = []
    args: list = []
    trace_steps: list[tuple[int, int, int]] = []  # (step, start_ps, end_ps)
    device_steps: list[tuple[str, int, int]] = []
    process_names: dict = {}
    thread_names: dict = {}
    process_sort: dict = {}
    thread_sort: dict = {}
    for p_index, plane in enumerate(planes):
        pid = p_index if use_index else plane.id
        process_names[pid] = plane.name
        process_sort[pid] = p_index
        device = plane.name.startswith("/device:")
        # the full name (TF: "scope/op:Type"); a shorter display_name goes to the args
        event_names = {k: m.name for k, m in plane.event_metadata.items()}
        display = {k: m.display_name for k, m in plane.event_metadata.items()
                   if m.display_name and m.display_name != m.name}
        stat_names = {k: m.name for k, m in plane.stat_metadata.items()}
        step_stat = next((k for k, n in stat_names.items() if n == "step_num"), None)
        for l_index, line in enumerate(plane.lines):
            tid = line.id
            line_name = line.display_name or line.name
            thread_names[(pid, tid)] = line_name
            thread_sort[(pid, tid)] = l_index
            base = line.timestamp_ns * 1000
            line_cat = _DERIVED_LINES.get(line.name) if device else None
            for ev in line.events:
                name = event_names.get(ev.metadata_id, str(ev.metadata_id))
                begin = base + ev.offset_ps
                if device:
                    cat = line_cat or _device_cat(name)
                    if line.name == "Steps":
                        device_steps.append((name, begin, begin + ev.duration_ps))
                else:
                    cat = "cuda_runtime" if _is_cuda_api(name) else "cpu_op"
                stats = _stats(ev.stats, stat_names) if ev.stats else None
                if ev.metadata_id in display:
                    stats = {**(stats or {}), "display_name": display[ev.metadata_id]}
                if step_stat is not None and not device and stats and "step_num" in stats:
                    try:
                        trace_steps.append((int(stats["step_num"]), begin, begin + ev.duration_ps))
                        cat = "step_marker"  # the whole step: not CPU work of its own
                    except (TypeError, ValueError):
                        pass
                names.append(name)
                cats.append(cat)
                pids.append(pid)
                tids.append(tid)
                start_ps.append(begin)
                dur_ps.append(ev.duration_ps)
                args.append(stats)
    # ps (Python ints: epoch ns * 1000 overflows int64) → µs, correctly rounded by int / int; at epoch
    # scale a float64 µs keeps ~0.25 µs, the price of the contract's absolute float µs
    ts = np.array([b / 1_000_000 for b in start_ps], dtype=np.float64)
    trace = Trace(name=names, cat=cats, pid=np.array(pids, dtype=np.int64), tid=np.array(tids, dtype=np.int64),
                  ts=ts, dur=np.array([d / 1_000_000 for d in dur_ps], dtype=np.float64), args=args,
                  process_names=process_names, thread_names=thread_names, process_sort=process_sort,
                  thread_sort=thread_sort, memory=empty_memory())
    if trace_steps:
        trace.step_marks = [(s, b / 1_000_000, e / 1_000_000) for s, b, e in trace_steps]
    elif device_steps:
        trace.step_marks = [(int(n) if n.isdigit() else i, b / 1_000_000, e / 1_000_000)
                            for i, (n, b, e) in enumerate(device_steps)]
    return trace


def _device_cat(name: str) -> str:
    low = name.lower()
    if "memcpy" in low:
        return "gpu_memcpy"
    if "memset" in low:
        return "gpu_memset"
    return "kernel"


def _is_cuda_api(name: str) -> bool:
    return _CUDA_API.match(name) is not None


def _stats(stats, stat_names: dict) -> dict:
    out = {}
    for st in stats:
        key = stat_names.get(st.metadata_id, str(st.metadata_id))
        kind = st.WhichOneof("value")
        if kind == "ref_value":
            value = stat_names.get(st.ref_value, st.ref_value)
        elif kind == "bytes_value":
            value = st.bytes_value.hex()
        elif kind is None:
            value = None
        else:
            value = getattr(st, kind)
        out[key] = value
    return out
