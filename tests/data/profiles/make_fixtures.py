"""Writes the two synthetic GPU-shaped profiles in this directory (no GPU on the machine that made them).

    python tests/data/profiles/make_fixtures.py      # from the repo root; rewrites both files

1. gpu_kineto/train/vm_4242.1795707306322858227.pt.trace.json — a PyTorch profiler trace in the
   exact layout torch 2.13's Kineto writes (bench/make_trace.py has the format strings, checked
   against the real trace in tests/data/torch_profiler/), with the timeline below.
2. xplane_gpu/plugins/profile/2026_01_01_00_00_00/gpuhost.xplane.pb — an XSpace with a /host:CPU
   plane and a /device:GPU:0 plane, built with nbtb/proto/xplane_pb2 (TF's field numbers).

Both encode the same hand-computable timeline (µs after T0; host = pid 4242 / tid 4242, GPU =
device 0, streams 7 and 20). The expected overview is worked out in tests/test_profiles.py.

    step 0: ProfilerStep#0 host [0, 100)
        DataLoader __next__ [5, 25)
        aten::linear [30, 60) ⊃ aten::addmm [32, 58) ⊃ cudaLaunchKernel [35, 40) corr 1,
                                                        cudaLaunchKernel [50, 54) corr 2
        cudaMemcpyAsync [62, 66) corr 3, cuLaunchKernel (driver) [70, 72) corr 4,
        cudaMemsetAsync [74, 76) corr 5
        GPU: gemm_a [45, 75) s7 (1), gemm_b [60, 90) s20 (2), Memcpy HtoD [90, 100) s7 (3),
             Memset [100, 104) s7 (5), elementwise [105, 120) s7 (4: after the host step ended)
    step 1: ProfilerStep#1 host [125, 200)
        DataLoader __next__ [130, 170)
        aten::relu [172, 190) ⊃ cudaLaunchKernel [175, 180) corr 6
        GPU: elementwise [182, 198) s7 (6)
    step 2: ProfilerStep#2 host [205, 230) ⊃ aten::zero_ [210, 220)   (no GPU work: dropped)
    memory: [memory] instants at 31 (cuda:0 1024 / 2097152), 33 (cpu 64 / 0),
            173 (cuda:0 3072 / 2097152), 199 (cuda:0 2048 / 2097152)
    plus: ProfilerStep#0/#1 mirrored as gpu_user_annotation on stream 7, ac2g flows, the
    "Spans" span Kineto adds, "M" lane names.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "bench")]

from make_trace import (DEVICE, PID, flow, kineto_json, lane_metadata, memory,  # noqa: E402
                        metadata, span_events, x_event)

T0 = 4850280314000000  # ns, a realistic Kineto relative timestamp
DL = "enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__"

# (cat, name, lane, start_us, end_us, correlation or None)
HOST = [
    ("user_annotation", "ProfilerStep#0", "host", 0, 100, None),
    ("user_annotation", DL, "host", 5, 25, None),
    ("cpu_op", "aten::linear", "host", 30, 60, None),
    ("cpu_op", "aten::addmm", "host", 32, 58, None),
    ("cuda_runtime", "cudaLaunchKernel", "host", 35, 40, 1),
    ("cuda_runtime", "cudaLaunchKernel", "host", 50, 54, 2),
    ("cuda_runtime", "cudaMemcpyAsync", "host", 62, 66, 3),
    ("cuda_driver", "cuLaunchKernel", "host", 70, 72, 4),
    ("cuda_runtime", "cudaMemsetAsync", "host", 74, 76, 5),
    ("user_annotation", "ProfilerStep#1", "host", 125, 200, None),
    ("user_annotation", DL, "host", 130, 170, None),
    ("cpu_op", "aten::relu", "host", 172, 190, None),
    ("cuda_runtime", "cudaLaunchKernel", "host", 175, 180, 6),
    ("user_annotation", "ProfilerStep#2", "host", 205, 230, None),
    ("cpu_op", "aten::zero_", "host", 210, 220, None),
]
GPU = [
    ("kernel", "gemm_a", 7, 45, 75, 1),
    ("kernel", "gemm_b", 20, 60, 90, 2),
    ("gpu_memcpy", "Memcpy HtoD (Pageable -> Device)", 7, 90, 100, 3),
    ("gpu_memset", "Memset (Device)", 7, 100, 104, 5),
    ("kernel", "elementwise", 7, 105, 120, 4),
    ("kernel", "elementwise", 7, 182, 198, 6),
    ("gpu_user_annotation", "ProfilerStep#0", 7, 45, 120, None),
    ("gpu_user_annotation", "ProfilerStep#1", 7, 182, 198, None),
]
MEMORY = [(31, 1024, 2097152, 1, 0), (33, 64, 0, 0, -1), (173, 3072, 2097152, 1, 0), (199, 2048, 2097152, 1, 0)]


def kineto_events() -> list[str]:
    us = lambda t: T0 + int(round(t * 1000))  # noqa: E731
    out = lane_metadata(T0, gpu=True)
    out.append(metadata("thread_name", DEVICE, 20, T0, {"name": "stream 20 "}))
    out.append(metadata("thread_sort_index", DEVICE, 20, T0, {"sort_index": 20}))
    ext = 0
    for cat, name, _, a, b, corr in HOST:
        ext += 1
        args = {"External id": ext, "Record function id": 0, "Ev Idx": ext}
        if corr is not None:
            args = {"External id": ext, "cbid": 211, "correlation": corr}
        out.append(x_event(cat, name, PID, PID, us(a), us(b) - us(a), args))
        if corr is not None:
            out.append(flow("s", corr, PID, PID, us(a)))
    for cat, name, stream, a, b, corr in GPU:
        args = {"device": DEVICE, "context": 1, "stream": stream}
        if corr is not None:
            args.update({"correlation": corr, "grid": [64, 1, 1], "block": [128, 1, 1]})
        out.append(x_event(cat, name, DEVICE, stream, us(a), us(b) - us(a), args))
        if corr is not None:
            out.append(flow("f", corr, DEVICE, stream, us(a)))
    for t, allocated, reserved, dev_type, dev_id in MEMORY:
        out.append(memory(PID, PID, us(t), allocated, reserved, 1024, dev_type, dev_id))
    out.extend(span_events(us(-10), us(240)))
    return out


def write_kineto(path: str) -> None:
    text = kineto_json(kineto_events(), trace_name=os.path.basename(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def write_xplane(path: str) -> None:
    """The same timeline as an XSpace: host events on /host:CPU, GPU ops on /device:GPU:0 stream lines."""
    from nbtb.proto import xplane_pb2

    space = xplane_pb2.XSpace(hostnames=["gpuhost"])
    base_ns = 1_700_000_000_000_000_000  # epoch-scale line timestamps, as TF writes

    def plane(pid: int, name: str):
        p = space.planes.add(id=pid, name=name)
        p.stat_metadata[1].CopyFrom(xplane_pb2.XStatMetadata(id=1, name="step_num"))
        p.stat_metadata[2].CopyFrom(xplane_pb2.XStatMetadata(id=2, name="correlation_id"))
        return p

    def add(p, line, name: str, a: float, b: float, stats=()):
        ids = {m.name: k for k, m in p.event_metadata.items()}
        if name not in ids:
            k = len(ids) + 1
            p.event_metadata[k].CopyFrom(xplane_pb2.XEventMetadata(id=k, name=name))
            ids[name] = k
        ev = line.events.add(metadata_id=ids[name], offset_ps=int(round(a * 1e6)),
                             duration_ps=int(round((b - a) * 1e6)))
        for sid, value in stats:
            ev.stats.add(metadata_id=sid, int64_value=value)

    host = plane(0, "/host:CPU")
    main = host.lines.add(id=4242, name="python", timestamp_ns=base_ns)
    for cat, name, _, a, b, corr in HOST:
        if name.startswith("ProfilerStep#"):
            # TF marks a step with a TraceMe carrying step_num (Keras: "Profiled batch")
            add(host, main, "train", a, b, [(1, int(name.split("#")[1]))])
        elif name == DL:
            add(host, main, "IteratorGetNextOp::DoCompute", a, b)
        else:
            add(host, main, name, a, b, [(2, corr)] if corr else [])
    gpu = plane(1, "/device:GPU:0")
    streams = {s: gpu.lines.add(id=s, name=f"Stream #{s}(Compute)", timestamp_ns=base_ns) for s in (7, 20)}
    derived = gpu.lines.add(id=10_000, name="XLA Ops", timestamp_ns=base_ns)
    for cat, name, stream, a, b, corr in GPU:
        if cat == "gpu_user_annotation":
            add(gpu, derived, name, a, b)  # a derived line repeating device time: must not count
        else:
            add(gpu, streams[stream], name, a, b, [(2, corr)])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(space.SerializeToString())


def main() -> None:
    write_kineto(os.path.join(HERE, "gpu_kineto", "train", "vm_4242.1795707306322858227.pt.trace.json"))
    write_xplane(os.path.join(HERE, "xplane_gpu", "plugins", "profile", "2026_01_01_00_00_00", "gpuhost.xplane.pb"))


if __name__ == "__main__":
    main()
