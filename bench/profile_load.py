"""Time reading a large PyTorch profiler trace: nbtb's loader against plain json.loads + pandas.

    python bench/profile_load.py [--events 1000000] [--repeat 3] [--logdir DIR]

Writes the trace with bench/make_trace.py (unless --logdir already holds one), then times, each
`--repeat` times (best and median reported; the machine is shared, so the load average is recorded):
- nbtb_profile: `nbtb.load(logdir).profile("train")` → Profile with `.timeline` (the frame without
  args), steps, threads, memory: what the Profile tab needs first;
- nbtb_events_args: `.events` on top (every event's args parsed into dicts);
- nbtb_overview: `.overview()`;
- json_pandas: the obvious alternative, gzip + json.loads + a DataFrame of the "X" events (no
  steps, no sorting).
Results go to bench/results/profile_load.json.
"""

from __future__ import annotations

import argparse
import gc
import glob
import gzip
import json
import os
import platform
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "bench")]

import nbtb  # noqa: E402
import pandas as pd  # noqa: E402
from make_trace import main as make_trace  # noqa: E402


def _time(fn, repeat: int) -> dict:
    times, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    # CPU seconds (all threads of this process) move less than wall time on a shared machine
    return {"best_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
            "runs_s": [round(x, 3) for x in times], "cpu_best_s": round(min(cpu), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--logdir")
    a = ap.parse_args()
    logdir = a.logdir or os.path.join(tempfile.gettempdir(), f"nbtb_profile_bench_{a.events}")
    files = glob.glob(os.path.join(logdir, "train", "*.pt.trace.json.gz"))
    path = files[0] if files else make_trace([logdir, "--events", str(a.events)])
    raw_size = os.path.getsize(path)
    with gzip.open(path, "rb") as f:
        json_size = len(f.read())

    load_start = [round(x, 2) for x in os.getloadavg()]
    lg = nbtb.load(logdir)
    probe = lg.profile("train")
    n_x = len(probe.timeline)
    del probe
    results = {}
    results["nbtb_profile"] = _time(lambda: lg.profile("train"), a.repeat)

    def events_with_args():
        lg.profile("train").events

    results["nbtb_profile_plus_events_args"] = _time(events_with_args, a.repeat)
    prof = lg.profile("train")
    results["nbtb_overview"] = _time(lambda: prof.overview(), a.repeat)
    del prof

    def json_pandas():
        with open(path, "rb") as f:
            doc = json.loads(gzip.decompress(f.read()))
        pd.DataFrame([e for e in doc["traceEvents"] if e.get("ph") == "X"])

    results["json_pandas"] = _time(json_pandas, a.repeat)
    out = {
        "trace": {"events_in_file": a.events, "complete_events": n_x, "gz_bytes": raw_size, "json_bytes": json_size},
        "results": results,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "loadavg_at_start": load_start, "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
                    "note": "2 cores shared with other helpers' test runs: expect noise"},
        "command": "python bench/profile_load.py " + " ".join(sys.argv[1:]),
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "profile_load.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
