"""Write a realistic, large PyTorch-profiler trace (Kineto's JSON layout) into a logdir, for benchmarks.

    python bench/make_trace.py OUT_LOGDIR [--events 1000000] [--seed 0]

writes OUT_LOGDIR/train/<host>_<pid>.<time_ns>.pt.trace.json.gz, a GPU training loop as torch 2.13 +
libkineto write it with `tensorboard_trace_handler(use_gzip=True)`: the header keys, one key per
line and the "\\n    ,\\n    \\"args\\"" quirk exactly as in the real torch 2.13 trace committed at
tests/data/torch_profiler/ (libkineto/src/output_json.cpp is the writer). Each step is a
`ProfilerStep#N` holding a DataLoader `__next__`, then per op a `cpu_op` with one child `cpu_op`,
a `cuda_runtime` `cudaLaunchKernel` and its `kernel` on stream 7 joined by an `ac2g` flow pair
(`s`/`f`), a `[memory]` instant every 4 ops, a few `gpu_memcpy`/`gpu_memset`/`cuda_driver` events;
plus the "M" metadata and the "Spans"/"Traces" span events Kineto adds. `--events` counts every
entry of `traceEvents` (all phases): 1,000,000 of them are ~760k complete ("X") events.

The synthetic GPU fixture (tests/data/profiles/make_gpu_trace.py) uses `kineto_json` from here so
both write the same layout. Times are integers of ns printed as Kineto does (`{us}.{ns:03}`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys

PID = 4242  # host process id (also the main thread id, as on Linux)
DEVICE = 0  # GPU pid in Kineto traces is the device index
STREAM = 7

_KERNELS = ["void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>>",
            "ampere_sgemm_128x64_tn", "void at::native::reduce_kernel<512, 1>",
            "volta_sgemm_64x32_sliced1x4_nn", "void cutlass::Kernel<cutlass_80_tensorop_s1688gemm>"]
_OPS = [("aten::linear", "aten::addmm"), ("aten::relu", "aten::clamp_min"), ("aten::add_", "aten::add_"),
        ("aten::mse_loss", "aten::mean"), ("aten::mm", "aten::mm")]


def _t(ns: int) -> str:
    """Kineto prints ns as µs with exactly three decimals."""
    return f"{ns // 1000}.{ns % 1000:03}"


def _args(args: dict | None) -> str:
    if not args:
        return ""
    body = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in args.items())
    return f"\n    ,\n    \"args\": {{\n      {body}\n    }}"


def x_event(cat: str, name: str, pid, tid, ts_ns: int, dur_ns: int, args: dict | None = None) -> str:
    pid_s = json.dumps(pid)
    tid_s = json.dumps(tid)
    return (f"\n  {{\n    \"ph\": \"X\",\n    \"cat\": \"{cat}\",\n    \"name\": {json.dumps(name)},\n"
            f"    \"pid\": {pid_s},\n    \"tid\": {tid_s},\n    \"ts\": {_t(ts_ns)},\n    \"dur\": {_t(dur_ns)}"
            f"{_args(args)}\n  }}")


def flow(ph: str, flow_id: int, pid, tid, ts_ns: int, cat: str = "ac2g") -> str:
    bp = ", \"bp\": \"e\"" if ph == "f" else ""
    return (f"\n  {{\n    \"ph\": \"{ph}\",\n    \"id\": {flow_id},\n    \"pid\": {pid},\n    \"tid\": {tid},\n"
            f"    \"ts\": {_t(ts_ns)},\n    \"cat\": \"{cat}\",\n    \"name\": \"{cat}\"\n    {bp}\n  }}")


def memory(pid, tid, ts_ns: int, allocated: int, reserved: int, nbytes: int, device_type: int,
           device_id: int) -> str:
    args = {"Total Reserved": reserved, "Total Allocated": allocated, "Bytes": nbytes, "Device Id": device_id,
            "Device Type": device_type, "Addr": 139900000000000 + allocated, "finished": False}
    return (f"\n  {{\n    \"ph\": \"i\",\n    \n    \"cat\": \"cpu_instant_event\",\n    \"s\": \"t\",\n"
            f"    \"name\": \"[memory]\",\n    \"pid\": {pid},\n    \"tid\": {tid},\n    \"ts\": {_t(ts_ns)}"
            f"{_args(args)}\n  }}")


def metadata(name: str, pid, tid, ts_ns: int, args: dict) -> str:
    return (f"\n  {{\n    \"ph\": \"M\",\n    \"name\": \"{name}\",\n    \"ts\": {_t(ts_ns)},\n    \"pid\": {json.dumps(pid)},\n"
            f"    \"tid\": {json.dumps(tid)},\n    \"args\": {{\n      {', '.join(f'{json.dumps(k)}: {json.dumps(v)}' for k, v in args.items())}\n    }}\n  }}")


def lane_metadata(ts_ns: int, gpu: bool) -> list[str]:
    out = [metadata("process_name", PID, 0, ts_ns, {"name": "python"}),
           metadata("process_labels", PID, 0, ts_ns, {"labels": "CPU"}),
           metadata("process_sort_index", PID, 0, ts_ns, {"sort_index": PID}),
           metadata("thread_name", PID, PID, ts_ns, {"name": f"thread {PID} (python)"}),
           metadata("thread_sort_index", PID, PID, ts_ns, {"sort_index": PID})]
    if gpu:
        out += [metadata("process_name", DEVICE, 0, ts_ns, {"name": "python"}),
                metadata("process_labels", DEVICE, 0, ts_ns, {"labels": f"GPU {DEVICE}"}),
                metadata("process_sort_index", DEVICE, 0, ts_ns, {"sort_index": 16777216 + DEVICE}),
                metadata("thread_name", DEVICE, STREAM, ts_ns, {"name": f"stream {STREAM} "}),
                metadata("thread_sort_index", DEVICE, STREAM, ts_ns, {"sort_index": STREAM})]
    return out


def span_events(start_ns: int, end_ns: int) -> list[str]:
    """The profiler's own span and markers, with Kineto's string pids."""
    return [x_event("Trace", "PyTorch Profiler (0)", "Spans", "PyTorch Profiler", start_ns, end_ns - start_ns,
                    {"Op count": 0}),
            metadata("process_sort_index", "Spans", 0, start_ns, {"sort_index": 536870912}),
            (f"\n  {{\n    \"ph\": \"i\",\n    \n    \"s\": \"g\",\n    \"name\": \"Iteration Start: PyTorch Profiler\",\n"
             f"    \"pid\": \"Traces\",\n    \"tid\": \"Trace PyTorch Profiler\",\n    \"ts\": {_t(start_ns)}\n    \n  }}"),
            (f"\n  {{\n    \"ph\": \"i\",\n    \n    \"s\": \"g\",\n    \"name\": \"Record Window End\",\n"
             f"    \"pid\": \"\",\n    \"tid\": \"\",\n    \"ts\": {_t(end_ns)}\n    \n  }}")]


def kineto_json(events: list[str], *, host: str = "vm", gpu: bool = True, trace_name: str = "trace.pt.trace.json",
                base_ns: int = 1790857026000000000) -> str:
    """The whole document around pre-formatted event strings, as torch 2.13's Kineto writes it."""
    props = ('\n      {\n      "id": 0, "name": "NVIDIA A100-SXM4-40GB", "totalGlobalMem": 42298834944,\n'
             '      "computeMajor": 8, "computeMinor": 0,\n      "maxThreadsPerBlock": 1024, "maxThreadsPerMultiprocessor": 2048,\n'
             '      "regsPerBlock": 65536, "warpSize": 32,\n      "sharedMemPerBlock": 49152, "numSms": 108\n    , '
             '"regsPerMultiprocessor": 65536, "sharedMemPerBlockOptin": 166912, "sharedMemPerMultiprocessor": 167936}'
             if gpu else "")
    head = (f' {{\n    "schemaVersion": 1,\n    "deviceProperties": [{props}\n    ],\n    \n'
            f'      "trace_id": "5F2E0C4A9B8D4E1F8A7B6C5D4E3F2A1B",\n      "profile_memory": 1,\n'
            f'      "record_shapes": 1,\n      "host_name": "{host}",\n    "displayTimeUnit": "ms",\n'
            f'    "baseTimeNanoseconds": {base_ns},\n    "traceEvents": [\n    ')
    return head + ",".join(events) + f'\n  ],"traceName": "{trace_name}" }}'


def training_loop(n_events: int, seed: int = 0) -> list[str]:
    """A GPU training loop of about `n_events` trace events (see the module docstring)."""
    rng = random.Random(seed)
    t = 4850280314000000  # ns since base time, like Kineto's relative ts
    start = t
    out = lane_metadata(t, gpu=True)
    ext = corr = ev_idx = 0
    allocated = 0
    step = 0
    gpu_free = t
    while len(out) < n_events - 4:
        step_start = t
        step_events: list[str] = []
        ext += 1
        step_ext = ext
        t += 5_000
        dl = rng.randrange(40_000, 120_000)
        ext += 1
        step_events.append(x_event("user_annotation", "enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__",
                                   PID, PID, t, dl, {"External id": ext, "Record function id": 0, "Ev Idx": ev_idx}))
        ev_idx += 1
        t += dl + 3_000
        for k in range(rng.randrange(40, 80)):
            parent, child = _OPS[k % len(_OPS)]
            ext += 1
            corr += 1
            op_dur = rng.randrange(20_000, 60_000)
            step_events.append(x_event("cpu_op", parent, PID, PID, t, op_dur,
                                       {"External id": ext, "Record function id": 0, "Sequence number": ext,
                                        "Fwd thread id": 0, "Ev Idx": ev_idx}))
            ev_idx += 1
            c0 = t + 2_000
            step_events.append(x_event("cpu_op", child, PID, PID, c0, op_dur - 4_000,
                                       {"External id": ext + 1, "Record function id": 0, "Ev Idx": ev_idx}))
            ev_idx += 1
            launch = c0 + rng.randrange(3_000, 8_000)
            launch_dur = rng.randrange(4_000, 9_000)
            step_events.append(x_event("cuda_runtime", "cudaLaunchKernel", PID, PID, launch, launch_dur,
                                       {"External id": ext + 1, "cbid": 211, "correlation": corr}))
            step_events.append(flow("s", corr, PID, PID, launch))
            k_start = max(launch + 6_000, gpu_free)
            k_dur = rng.randrange(3_000, 40_000)  # the GPU mostly keeps up with the host
            step_events.append(x_event("kernel", _KERNELS[k % len(_KERNELS)], DEVICE, STREAM, k_start, k_dur,
                                       {"External id": ext + 1, "queued": 0, "device": DEVICE, "context": 1,
                                        "stream": STREAM, "correlation": corr, "registers per thread": 32,
                                        "shared memory": 0, "blocks per SM": 0.4, "warps per SM": 1.6,
                                        "grid": [64, 1, 1], "block": [128, 1, 1],
                                        "est. achieved occupancy %": 3}))
            step_events.append(flow("f", corr, DEVICE, STREAM, k_start))
            gpu_free = k_start + k_dur
            if k % 4 == 0:
                nbytes = rng.choice([512, 4096, 65536])
                allocated += nbytes
                step_events.append(memory(PID, PID, c0 + 1_000, allocated, 2097152 * (1 + allocated // 2097152),
                                          nbytes, 1, DEVICE))
            if k % 16 == 0:
                corr += 1
                step_events.append(x_event("cuda_runtime", "cudaMemcpyAsync", PID, PID, c0 + 500, 3_000,
                                           {"External id": ext + 1, "cbid": 41, "correlation": corr}))
                m_start = max(c0 + 4_000, gpu_free)
                step_events.append(x_event("gpu_memcpy", "Memcpy HtoD (Pageable -> Device)", DEVICE, STREAM,
                                           m_start, 2_000, {"device": DEVICE, "context": 1, "stream": STREAM,
                                                            "correlation": corr, "bytes": 8192,
                                                            "memory bandwidth (GB/s)": 4.1}))
                gpu_free = m_start + 2_000
            if k % 32 == 0:
                step_events.append(x_event("cuda_driver", "cuLaunchKernel", PID, PID, c0 + 200, 1_000,
                                           {"cbid": 307, "correlation": corr}))
            ext += 1
            t += op_dur + rng.randrange(1_000, 5_000)
            if len(out) + len(step_events) >= n_events - 6:
                break
        step_end = max(t, step_start + 1)
        out.append(x_event("user_annotation", f"ProfilerStep#{step}", PID, PID, step_start, step_end - step_start,
                           {"External id": step_ext, "Record function id": 0, "Ev Idx": ev_idx}))
        ev_idx += 1
        out.extend(step_events)
        step += 1
        t = step_end + 2_000
    out.extend(span_events(start, max(t, gpu_free) + 1_000))
    return out


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("logdir")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    run = os.path.join(a.logdir, "train")
    os.makedirs(run, exist_ok=True)
    name = "vm_4242.1795707306322858227.pt.trace.json"
    text = kineto_json(training_loop(a.events, a.seed), trace_name=name)
    path = os.path.join(run, name + ".gz")
    with gzip.open(path, "wb", compresslevel=6) as f:
        f.write(text.encode())
    print(path, f"{len(text) / 1e6:.1f} MB json, {os.path.getsize(path) / 1e6:.1f} MB gz", file=sys.stderr)
    return path


if __name__ == "__main__":
    main()
