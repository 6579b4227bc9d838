#!/usr/bin/env python
"""Load every scalar of a logdir into a pandas DataFrame with several loaders.

Each contender runs in a fresh Python subprocess, one after another.  The
parent measures the subprocess's wall time and peak RSS (psutil polling every
20 ms of the child plus its descendants, e.g. the Rust data server), and takes
the child's ru_maxrss from os.wait4 as a cross-check (what
resource.getrusage(RUSAGE_CHILDREN) reports for that one child: on Linux the
max over the child and the descendants it reaped).  The child measures its
own import time and load time (perf_counter) and reports the number of points
it got; the parent checks that every contender got the same number.

    python bench/compare_loaders.py                       # bench/data/logdir
    python bench/compare_loaders.py --logdir bench/data/logdir-small \\
        --contenders nbtb,tbparse

Results: a markdown table printed and written to bench/results/loaders.md
(raw numbers in bench/results/loaders.json).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

ALL_CONTENDERS = ["bytes", "nbtb", "python_loop", "rust", "event_accumulator", "tbparse"]
LABELS = {
    "bytes": "bytes baseline (read / crc32c)",
    "nbtb": "nbtb `nbtb.load(d).scalars`",
    "python_loop": "plain Python loop (struct + upb `Event.FromString`)",
    "rust": "TensorBoard Rust data server (gRPC)",
    "event_accumulator": "TensorBoard Python `EventMultiplexer`",
    "tbparse": "tbparse `SummaryReader(...).scalars`",
}


# --------------------------------------------------------------------------
# helpers used in the worker


def event_files(logdir: str) -> list[tuple[str, str]]:
    """(run, path) for every event file, runs as TensorBoard names them
    (relpath of the directory, "." for the root), files in name order."""
    out = []
    for root, dirs, files in os.walk(logdir):
        dirs.sort()
        run = os.path.relpath(root, logdir)
        for f in sorted(files):
            if "tfevents" in f and not f.endswith(".profile-empty"):
                out.append((run, os.path.join(root, f)))
    return out


def frame_from_series(series):
    """series: list of (run, tag, steps, wall_times, values) numpy arrays ->
    DataFrame run, tag (categorical), step, wall_time, value."""
    import numpy as np
    import pandas as pd

    runs = sorted({s[0] for s in series})
    tags = sorted({s[1] for s in series})
    rix = {r: i for i, r in enumerate(runs)}
    tix = {t: i for i, t in enumerate(tags)}
    lens = np.array([len(s[2]) for s in series], dtype=np.int64)
    run_codes = np.repeat(np.array([rix[s[0]] for s in series], dtype=np.int32), lens)
    tag_codes = np.repeat(np.array([tix[s[1]] for s in series], dtype=np.int32), lens)
    cat = lambda a: np.concatenate(a) if a else np.empty(0)
    return pd.DataFrame({
        "run": pd.Categorical.from_codes(run_codes, categories=runs),
        "tag": pd.Categorical.from_codes(tag_codes, categories=tags),
        "step": cat([s[2] for s in series]).astype(np.int64),
        "wall_time": cat([s[3] for s in series]).astype(np.float64),
        "value": cat([s[4] for s in series]).astype(np.float64),
    })


# --------------------------------------------------------------------------
# contenders: contender(logdir, mark) -> (DataFrame or None, extra dict).
# Each imports its own modules (not timed), times its load with perf_counter
# into extra["load_s"], and calls mark() as soon as the frame is complete
# (the parent's peak RSS is taken up to that moment).


def c_bytes(logdir, mark):
    import crc32c

    files = [p for _, p in event_files(logdir)]
    total, c, read_s, crc_s = 0, 0, 0.0, 0.0
    for p in files:  # one file in memory at a time
        t = time.perf_counter()
        with open(p, "rb") as f:
            data = f.read()
        t1 = time.perf_counter()
        c ^= crc32c.crc32c(data)
        crc_s += time.perf_counter() - t1
        read_s += t1 - t
        total += len(data)
        del data
    mark()
    return None, {"bytes": total, "files": len(files), "read_s": read_s, "crc_s": crc_s,
                  "load_s": read_s + crc_s}


def c_nbtb(logdir, mark):
    sys.path.insert(0, ROOT)
    import nbtb

    # The nbtb code actually measured: its commit, and whether nbtb/ had local edits.
    git = lambda *a: subprocess.run(["git", "-C", os.path.dirname(nbtb.__file__), *a],
                                    capture_output=True, text=True).stdout.strip()
    rev = git("log", "-1", "--format=%h %cI") + (" +local edits" if git(
        "status", "--porcelain", "--", ".") else "")
    t = time.perf_counter()
    df = nbtb.load(logdir).scalars
    load_s = time.perf_counter() - t
    mark()
    return df, {"load_s": load_s, "nbtb_rev": rev}


def c_tbparse(logdir, mark):
    from tbparse import SummaryReader

    t = time.perf_counter()
    # event_types={'scalars'}: parse only what we ask for (the default also
    # keeps every tensor/histogram/hparams/text event in memory).
    reader = SummaryReader(logdir, pivot=False, extra_columns={"dir_name"},
                           event_types={"scalars"})
    df = reader.scalars
    load_s = time.perf_counter() - t
    mark()
    return df.rename(columns={"dir_name": "run"}), {"load_s": load_s}


def c_event_accumulator(logdir, mark):
    import numpy as np
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.backend.event_processing import event_multiplexer as em

    t = time.perf_counter()
    mux = em.EventMultiplexer(size_guidance={ea.SCALARS: 0})  # 0 = keep all
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    reload_s = time.perf_counter() - t
    series = []
    for run, kinds in sorted(mux.Runs().items()):
        for tag in kinds[ea.SCALARS]:
            evs = mux.Scalars(run, tag)  # list of ScalarEvent(wall_time, step, value)
            series.append((run, tag,
                           np.fromiter((e.step for e in evs), np.int64, len(evs)),
                           np.fromiter((e.wall_time for e in evs), np.float64, len(evs)),
                           np.fromiter((e.value for e in evs), np.float64, len(evs))))
    df = frame_from_series(series)
    load_s = time.perf_counter() - t
    mark()
    return df, {"load_s": load_s, "reload_s": reload_s, "frame_s": load_s - reload_s}


def c_python_loop(logdir, mark):
    import struct

    import pandas as pd
    from tensorboard.compat.proto import event_pb2

    FromString = event_pb2.Event.FromString
    unpack = struct.Struct("<Q").unpack_from
    t = time.perf_counter()
    runs, tags, steps, walls, values = [], [], [], [], []
    for run, path in event_files(logdir):
        with open(path, "rb") as f:
            data = f.read()
        pos, end = 0, len(data)
        while pos + 12 <= end:
            (n,) = unpack(data, pos)
            rec = data[pos + 12:pos + 12 + n]
            pos += 16 + n
            if pos > end:
                break  # truncated record
            ev = FromString(rec)
            if not ev.HasField("summary"):
                continue
            for v in ev.summary.value:
                kind = v.WhichOneof("value")
                if kind == "simple_value":
                    x = v.simple_value
                elif (kind == "tensor" and v.metadata.plugin_data.plugin_name == "scalars"
                      and v.tensor.float_val):
                    x = v.tensor.float_val[0]
                else:
                    continue
                runs.append(run)
                tags.append(v.tag)
                steps.append(ev.step)
                walls.append(ev.wall_time)
                values.append(x)
    parse_s = time.perf_counter() - t
    df = pd.DataFrame({"run": runs, "tag": tags, "step": steps, "wall_time": walls,
                       "value": values})
    load_s = time.perf_counter() - t
    mark()
    return df, {"load_s": load_s, "parse_s": parse_s, "frame_s": load_s - parse_s}


def c_rust(logdir, mark):
    import grpc
    import numpy as np
    import tensorboard_data_server
    from tensorboard.data.proto import data_provider_pb2 as dp
    from tensorboard.data.proto import data_provider_pb2_grpc as dpg

    binary = tensorboard_data_server.server_binary()
    tmp = tempfile.mkdtemp(prefix="nbtb-bench-rust-")
    port_file = os.path.join(tmp, "port")
    finished = {}

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "--logdir", logdir, "--port", "0", "--port-file", port_file,
         "--die-after-stdin", "--reload", "once", "--samples-per-plugin", "scalars=all",
         "-v"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def read_log():
        for line in proc.stderr:
            if "Finished load cycle" in line and "t" not in finished:
                finished["t"] = time.perf_counter() - t0
                finished["line"] = line.strip()

    threading.Thread(target=read_log, daemon=True).start()
    while not (os.path.exists(port_file) and open(port_file).read().endswith("\n")):
        if proc.poll() is not None:
            raise RuntimeError("data server exited early")
        time.sleep(0.005)
    port = int(open(port_file).read())
    start_s = time.perf_counter() - t0
    channel = grpc.insecure_channel(f"localhost:{port}", options=[
        ("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)])
    stub = dpg.TensorBoardDataProviderStub(channel)
    pf = dp.PluginFilter(plugin_name="scalars")

    # Ingest: poll ListScalars until the progress (sum over series of
    # max_step + 1) stops growing after the server logged its finished cycle.
    last, last_change, polls = -1, 0.0, 0
    while True:
        resp = stub.ListScalars(dp.ListScalarsRequest(plugin_filter=pf))
        polls += 1
        now = time.perf_counter() - t0
        prog = sum(t.metadata.max_step + 1 for r in resp.runs for t in r.tags)
        if prog != last:
            last, last_change = prog, now
        elif "t" in finished:
            break
        if now > 3600:
            raise RuntimeError("ingest did not finish in an hour")
        time.sleep(0.05)
    ingest_s = last_change  # first poll that saw the final state
    runs = sorted(r.name for r in stub.ListRuns(dp.ListRunsRequest()).runs)

    # Into a frame: ReadScalars per run, all points, then a DataFrame.
    t = time.perf_counter()
    series = []
    for run in runs:
        req = dp.ReadScalarsRequest(
            plugin_filter=pf,
            run_tag_filter=dp.RunTagFilter(runs=dp.RunFilter(names=[run])),
            downsample=dp.Downsample(num_points=1_000_000_000))
        for r in stub.ReadScalars(req).runs:
            for tg in r.tags:
                d = tg.data
                series.append((r.run_name, tg.tag_name, np.array(d.step, np.int64),
                               np.array(d.wall_time, np.float64), np.array(d.value, np.float64)))
    read_s = time.perf_counter() - t
    df = frame_from_series(series)
    frame_s = time.perf_counter() - t
    load_s = time.perf_counter() - t0
    mark()
    channel.close()
    proc.stdin.close()  # --die-after-stdin
    proc.wait(timeout=30)
    server_maxrss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return df, {"load_s": load_s, "start_s": start_s, "ingest_s": ingest_s,
                "server_cycle_s": finished.get("t"), "server_log": finished.get("line"),
                "polls": polls, "read_s": read_s, "frame_s": frame_s,
                "server_maxrss_mb": server_maxrss_mb}


CONTENDER_FUNCS = {
    "bytes": c_bytes, "nbtb": c_nbtb, "tbparse": c_tbparse,
    "event_accumulator": c_event_accumulator, "python_loop": c_python_loop, "rust": c_rust,
}


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(name: str, logdir: str, result_file: str, marker: str) -> None:
    t0 = time.perf_counter()
    res = {"contender": name}

    def mark():
        res["loaded_at_s"] = time.perf_counter() - t0
        res["rss_after_load_mb"] = rss_mb()
        res["self_maxrss_at_load_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        open(marker, "w").close()

    # Common imports first so that "import_s" is comparable.
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    res["import_base_s"] = time.perf_counter() - t0
    res["rss_before_load_mb"] = rss_mb()
    df, extra = CONTENDER_FUNCS[name](logdir, mark)
    res.update(extra)
    if df is not None:
        import numpy as np

        res["n_points"] = int(len(df))
        res["columns"] = {c: str(t) for c, t in df.dtypes.items()}
        res["step_sum"] = int(df["step"].to_numpy(np.int64).sum())
        res["value_sum"] = float(df["value"].to_numpy(np.float64).sum())
        res["n_runs"] = int(df["run"].nunique()) if "run" in df else None
        res["n_tags"] = int(df["tag"].nunique())
    with open(result_file, "w") as f:
        json.dump(res, f)


# --------------------------------------------------------------------------
# parent


def measure(name: str, logdir: str, timeout: float) -> dict:
    import psutil

    loadavg_before = os.getloadavg()[0]
    tmp = tempfile.mkdtemp(prefix=f"nbtb-bench-{name}-")
    result_file, marker = os.path.join(tmp, "result.json"), os.path.join(tmp, "loaded")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--logdir", logdir,
           "--result-file", result_file, "--marker", marker]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out_chunks = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    p = psutil.Process(proc.pid)
    peak = peak_at_load = 0
    peak_desc = 0
    children, tick, loaded = [], 0, False
    status, ru = None, None
    while True:
        try:
            wpid, st, ru = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            break
        if wpid:
            status = st
            break
        try:
            if tick % 5 == 0:
                children = p.children(recursive=True)
            rss = p.memory_info().rss
            desc = 0
            for c in children:
                try:
                    desc += c.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, rss + desc)
            peak_desc = max(peak_desc, desc)
        except psutil.Error:
            pass
        if not loaded and os.path.exists(marker):
            loaded = True
            peak_at_load = peak
        if time.perf_counter() - t0 > timeout:
            proc.kill()
        tick += 1
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else None
    reader.join(timeout=5)
    output = b"".join(c for c in out_chunks if c).decode(errors="replace")
    res = {"contender": name, "ok": False}
    if os.path.exists(result_file):
        with open(result_file) as f:
            res = json.load(f)
        res["ok"] = True
    res.update({
        "process_s": wall, "returncode": proc.returncode,
        "peak_rss_mb": (peak_at_load or peak) / 2**20,
        "peak_rss_whole_process_mb": peak / 2**20,
        "peak_rss_descendants_mb": peak_desc / 2**20,
        "wait4_maxrss_mb": ru.ru_maxrss / 1024 if ru is not None else None,
        # CPU seconds of the whole subprocess (imports included) and of the
        # descendants it reaped (the Rust server): less sensitive than wall
        # time to other load on the machine.
        "cpu_s": ru.ru_utime + ru.ru_stime if ru is not None else None,
        "loadavg_1min_before": loadavg_before,
    })
    if proc.returncode != 0 or not res["ok"]:
        res["ok"] = False
        res["error"] = output[-3000:]
    return res


def versions() -> dict:
    from importlib import metadata

    out = {}
    for pkg in ["nbtb", "tensorboard", "tensorboard-data-server", "tbparse", "tensorboardX",
                "pandas", "numpy", "protobuf", "grpcio", "crc32c", "psutil"]:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    try:
        out["repo HEAD at the end"] = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %cI"],
                                         capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    try:
        from google.protobuf.internal import api_implementation

        out["protobuf backend"] = api_implementation.Type()
    except ImportError:
        pass
    return out


def machine() -> dict:
    import psutil

    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model or platform.processor(),
        "cores (logical / usable)": f"{os.cpu_count()} / {len(os.sched_getaffinity(0))}",
        "ram GB": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "os": platform.platform(),
    }


def fmt(x, nd=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def render(results: list[dict], logdir: str, info: dict, vers: dict) -> str:
    by = {r["contender"]: r for r in results}
    lines = ["# Loader benchmark: every scalar of a logdir into a pandas DataFrame", ""]
    b = by.get("bytes", {})
    size = b.get("bytes")
    files = b.get("files")
    if size is None:
        fl = event_files(logdir)
        size, files = sum(os.path.getsize(p) for _, p in fl), len(fl)
    npts = next((r.get("n_points") for r in results if r.get("n_points") is not None), None)
    lines.append(f"Logdir `{logdir}`: {files} event files, {size / 1e6:.1f} MB, "
                 f"{npts:,} scalar points." if npts else
                 f"Logdir `{logdir}`: {files} event files, {size / 1e6:.1f} MB.")
    lines.append("")
    lines.append("| contender | load s | process s | process CPU s | peak RSS MB | ru_maxrss MB "
                 "| points | notes |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        name = r["contender"]
        notes = []
        if not r.get("ok"):
            err = (r.get("error") or "").strip().splitlines()
            notes.append("FAILED: " + (err[-1] if err else f"rc={r.get('returncode')}"))
        elif name == "bytes":
            mbs = lambda s: r["bytes"] / 1e6 / max(s, 1e-9)
            notes.append(f"read {r['read_s']:.2f} s ({mbs(r['read_s']):.0f} MB/s) + crc32c "
                         f"{r['crc_s']:.2f} s ({mbs(r['crc_s']):.0f} MB/s); load s = both")
        elif name == "rust":
            notes.append(f"server start {r['start_s']:.2f} s, ingest {r['ingest_s']:.2f} s "
                         f"(polled; server log: {fmt(r.get('server_cycle_s'), 2)} s), "
                         f"into frame {r['frame_s']:.2f} s (ReadScalars {r['read_s']:.2f} s); "
                         f"peak = server + client; server ru_maxrss "
                         f"{r['server_maxrss_mb']:.0f} MB")
        elif name == "nbtb":
            notes.append(f"nbtb {r.get('nbtb_rev')}")
        elif name == "event_accumulator":
            notes.append(f"Reload {r['reload_s']:.1f} s, frame {r['frame_s']:.1f} s")
        elif name == "python_loop":
            notes.append(f"parse {r['parse_s']:.1f} s, frame {r['frame_s']:.1f} s")
        if r.get("all_load_s"):
            notes.append("best of " + "/".join(fmt(x, 2) for x in r["all_load_s"]) + " s")
        ru = r.get("wait4_maxrss_mb")
        lines.append(f"| {LABELS.get(name, name)} | {fmt(r.get('load_s'), 2)} | "
                     f"{fmt(r.get('process_s'), 2)} | {fmt(r.get('cpu_s'), 2)} | "
                     f"{fmt(r.get('peak_rss_mb'), 0)} | "
                     f"{fmt(ru, 0)} | {fmt(r.get('n_points'))} | {'; '.join(notes)} |")
    lines.append("")

    # point-count check
    counts = {r["contender"]: r.get("n_points") for r in results
              if r.get("ok") and r.get("n_points") is not None}
    if counts:
        same = len(set(counts.values())) == 1
        lines.append(("**Point counts agree**: " if same else "**POINT COUNTS DIFFER**: ")
                     + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        sums = {r["contender"]: (r.get("step_sum"), r.get("n_runs"), r.get("n_tags"))
                for r in results if r.get("ok") and r.get("n_points") is not None}
        if len(set(sums.values())) == 1:
            s, nr, nt = next(iter(sums.values()))
            lines.append(f"(and the same sum of steps {s:,}, {nr} runs, {nt} tags)")
        else:
            lines.append("(step sum, runs, tags differ: " + ", ".join(
                f"{k} {v}" for k, v in sums.items()) + ")")
        vs = {r["contender"]: r.get("value_sum") for r in results
              if r.get("ok") and r.get("value_sum") is not None}
        if vs:
            lo, hi = min(vs.values()), max(vs.values())
            ok = abs(hi - lo) <= 1e-9 * max(abs(hi), abs(lo), 1.0)
            lines.append(f"Sum of values {'agrees' if ok else 'DIFFERS'}: " + ", ".join(
                f"{k} {v:.10g}" for k, v in vs.items()))
        lines.append("")

    # ratios
    n = by.get("nbtb")
    if n and n.get("ok") and n.get("load_s"):
        nl, nm = n["load_s"], n["peak_rss_mb"]
        lines.append("Ratios against nbtb (time, peak RSS):")
        lines.append("")
        lines.append("| ratio | time | peak RSS |")
        lines.append("|---|---:|---:|")
        pairs = [("tbparse / nbtb", "tbparse", "load_s"),
                 ("EventAccumulator / nbtb", "event_accumulator", "load_s"),
                 ("plain Python loop / nbtb", "python_loop", "load_s"),
                 ("rust into-frame / nbtb", "rust", "frame_s"),
                 ("rust total (start + ingest + into frame) / nbtb", "rust", "load_s"),
                 ("bytes read / nbtb", "bytes", "read_s")]
        for label, key, field in pairs:
            r = by.get(key)
            if r and r.get("ok") and r.get(field) is not None:
                mem = (f"{r['peak_rss_mb'] / nm:.2f}x" if key not in ("bytes",) and
                       field == "load_s" else "-")
                lines.append(f"| {label} | {r[field] / nl:.2f}x | {mem} |")
        lines.append("")
    lines.append("Columns: *load s* = time inside the fresh subprocess from the call to a finished "
                 "DataFrame (imports excluded; for rust: server spawn to finished frame); "
                 "*process s* = the whole subprocess (interpreter start, imports, load, checks); "
                 "*process CPU s* = user+sys CPU of that subprocess and the descendants it "
                 "reaped (the Rust server), from wait4; "
                 "*peak RSS MB* = highest psutil RSS of the subprocess plus its descendants, "
                 "sampled every 20 ms until the frame was done; *ru_maxrss MB* = ru_maxrss "
                 "from os.wait4 on the subprocess (Linux: the max over it and the descendants "
                 "it reaped, e.g. the Rust server). Warm page cache.")
    lines.append("")
    la = [f"{r['contender']} {r['loadavg_1min_before']:.2f}" for r in results
          if r.get("loadavg_1min_before") is not None]
    if la:
        lines.append("1-min load average before each contender (2 cores; the benchmark itself "
                     "adds ~1): " + ", ".join(la))
        lines.append("")
    lines.append("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    lines.append("")
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--logdir", default=os.path.join(HERE, "data", "logdir"))
    ap.add_argument("--contenders", default=",".join(ALL_CONTENDERS),
                    help=f"comma-separated subset of {','.join(ALL_CONTENDERS)}")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "loaders.md"),
                    help="markdown output ('-' for none); raw JSON goes next to it")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per contender, seconds")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each contender N times and report the fastest (default 1)")
    ap.add_argument("--repeat-max-s", type=float, default=60.0,
                    help="no further tries of a contender whose try took longer (default 60)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--result-file", help=argparse.SUPPRESS)
    ap.add_argument("--marker", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    logdir = os.path.abspath(a.logdir)

    if a.worker:
        worker(a.worker, logdir, a.result_file, a.marker)
        return 0

    if not os.path.isdir(logdir):
        print(f"no logdir {logdir}; run bench/make_logdir.py first", file=sys.stderr)
        return 2
    names = [c.strip() for c in a.contenders.split(",") if c.strip()]
    bad = [c for c in names if c not in CONTENDER_FUNCS]
    if bad:
        ap.error(f"unknown contenders {bad}; choose from {ALL_CONTENDERS}")

    results = []
    for name in names:
        tries = []
        for i in range(max(a.repeat, 1)):
            print(f"[{time.strftime('%H:%M:%S')}] {name} ({i + 1}/{a.repeat}) ...", flush=True)
            tries.append(measure(name, logdir, a.timeout))
            if not tries[-1]["ok"] or (tries[-1].get("load_s") or 0) > a.repeat_max_s:
                break
        ok = [t for t in tries if t["ok"]]
        # best of N (by load time): the least disturbed measurement
        r = dict(min(ok, key=lambda t: t.get("load_s") or 0.0) if ok else tries[-1])
        if len(tries) > 1:
            r["all_load_s"] = [t.get("load_s") for t in tries]
            r["all_peak_rss_mb"] = [t.get("peak_rss_mb") for t in tries]
        results.append(r)
        if r["ok"]:
            print(f"    load {fmt(r.get('load_s'), 2)} s, process {r['process_s']:.2f} s, "
                  f"peak {r['peak_rss_mb']:.0f} MB, points {r.get('n_points')}", flush=True)
        else:
            print(f"    FAILED (rc={r.get('returncode')}):\n{r.get('error')}", flush=True)

    info, vers = machine(), versions()
    md = render(results, logdir, info, vers)
    print()
    print(md)
    if a.out != "-":
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(md)
        with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
            json.dump({"logdir": logdir, "machine": info, "versions": vers,
                       "results": results}, f, indent=1)
        print(f"wrote {a.out}")
    counts = {r.get("n_points") for r in results if r.get("ok") and r.get("n_points") is not None}
    return 0 if all(r["ok"] for r in results) and len(counts) <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
