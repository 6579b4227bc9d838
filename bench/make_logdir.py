#!/usr/bin/env python
"""Write the loader-benchmark logdir.

Full size (default): 32 runs x 8 scalar tags x 25,000 steps = 6.4 M scalar
events (simple_value, as torch's add_scalar writes them), plus per run
2 histogram tags x 500 steps (64 buckets) and 1 image tag x 50 steps
(64x64 RGB PNG).  About 390 MB.  ``--small`` divides runs... no: it divides
the number of steps (and histogram / image steps) by 10, keeping the same
runs and tags, so it is a 10x smaller logdir with the same shape.

Events are written the way a training loop writes them: for step: for tag.
Runs are written in parallel by ``--procs`` processes (default 2, one per
core).  All values and wall times are derived from a seeded RNG, so the
payload is deterministic; only the event-file names (time, host, pid) and the
wall_time of the file_version record differ between invocations.

The writer is ``nbtb.SummaryWriter`` (``--writer nbtb``, the default);
``--writer tensorboardX`` or ``--writer torch`` select the reference writers.

    python bench/make_logdir.py                 # bench/data/logdir
    python bench/make_logdir.py --small         # bench/data/logdir-small
"""
from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import shutil
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# Eight scalar tags of several lengths (5 .. 38 characters).
SCALAR_TAGS = [
    "loss",
    "loss/train",
    "loss/validation",
    "metrics/accuracy",
    "metrics/top5_accuracy",
    "optimizer/learning_rate",
    "throughput/samples_per_second",
    "gradients/global_norm_before_clipping",
]
HIST_TAGS = ["weights/layer1", "gradients/output_layer"]
IMAGE_TAG = "samples/reconstruction"

FULL = dict(runs=32, steps=25_000, hist_steps=500, image_steps=50)
SEED = 20260101
T0 = 1_760_000_000.0  # base wall time of run 0 (seconds)
BUCKETS = 64
HIST_SAMPLES = 2_000


def run_name(i: int) -> str:
    return f"run_{i:02d}"


def get_writer_class(kind: str):
    if kind == "nbtb":
        sys.path.insert(0, os.path.dirname(HERE))
        import nbtb

        return nbtb.SummaryWriter
    if kind == "tensorboardX":
        from tensorboardX import SummaryWriter

        return SummaryWriter
    if kind == "torch":
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter
    raise ValueError(kind)


def scalar_series(rng: np.random.Generator, steps: int) -> np.ndarray:
    """(steps, 8) float64 array of plausible training curves."""
    s = np.arange(steps, dtype=np.float64)
    frac = s / max(steps - 1, 1)
    out = np.empty((steps, len(SCALAR_TAGS)))
    noise = rng.standard_normal((steps, len(SCALAR_TAGS)))
    decay = rng.uniform(2.0, 6.0)
    out[:, 0] = 2.5 * np.exp(-decay * frac) + 0.1 + 0.05 * noise[:, 0]
    out[:, 1] = out[:, 0] * 0.97 + 0.02 * noise[:, 1]
    out[:, 2] = out[:, 0] * 1.08 + 0.04 * noise[:, 2]
    acc = 1.0 - np.exp(-decay * frac) * 0.9
    out[:, 3] = np.clip(acc * 0.92 + 0.01 * noise[:, 3], 0, 1)
    out[:, 4] = np.clip(acc * 0.99 + 0.005 * noise[:, 4], 0, 1)
    out[:, 5] = 1e-3 * 0.5 * (1 + np.cos(np.pi * frac))  # cosine schedule
    out[:, 6] = 1200.0 + 40.0 * noise[:, 6]
    out[:, 7] = np.abs(3.0 * np.exp(-2 * frac) + 0.5 * noise[:, 7])
    return out


def make_image(rng: np.random.Generator, k: int) -> np.ndarray:
    """64x64x3 uint8: a smooth pattern plus noise (PNG ~ 10 KB)."""
    y, x = np.mgrid[0:64, 0:64].astype(np.float64)
    r = 127 + 127 * np.sin(x / (4 + k % 7) + k)
    g = 127 + 127 * np.cos(y / (5 + k % 5) - k)
    b = 127 + 127 * np.sin((x + y) / 9.0 + 0.3 * k)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 24, (64, 64, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_run(args) -> tuple[str, int, float]:
    i, logdir, cfg, writer_kind = args
    SummaryWriter = get_writer_class(writer_kind)
    rng = np.random.default_rng([SEED, i])
    steps, hist_every, image_every = (
        cfg["steps"],
        cfg["steps"] // cfg["hist_steps"],
        cfg["steps"] // cfg["image_steps"],
    )
    values = scalar_series(rng, steps).tolist()  # python floats: fast to pass
    t_run = T0 + 86_400.0 * i
    dt = rng.uniform(0.05, 0.2)  # seconds per step
    path = os.path.join(logdir, run_name(i))
    t = time.perf_counter()
    w = SummaryWriter(path)
    add_scalar = w.add_scalar
    tags = SCALAR_TAGS
    n = 0
    for step in range(steps):
        wt = t_run + step * dt
        row = values[step]
        for j in range(8):
            add_scalar(tags[j], row[j], step, wt + j * 1e-4)
        n += 8
        if step % hist_every == 0:
            for h, tag in enumerate(HIST_TAGS):
                spread = 1.0 + step / steps + h
                vals = rng.normal(0.1 * h, spread, HIST_SAMPLES)
                w.add_histogram(tag, vals, step, bins=BUCKETS, walltime=wt + 0.001)
        if step % image_every == 0:
            w.add_image(IMAGE_TAG, make_image(rng, step // image_every), step,
                        walltime=wt + 0.002, dataformats="HWC")
    w.flush()
    w.close()
    return run_name(i), n, time.perf_counter() - t


def dir_size(path: str) -> tuple[int, int]:
    total = files = 0
    for root, _, names in os.walk(path):
        for f in names:
            total += os.path.getsize(os.path.join(root, f))
            files += 1
    return total, files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--logdir", default=None,
                    help="output dir (default bench/data/logdir, or logdir-small)")
    ap.add_argument("--small", action="store_true", help="10x fewer steps")
    ap.add_argument("--runs", type=int, default=None, help="override the number of runs")
    ap.add_argument("--procs", type=int, default=2, help="writer processes (default 2)")
    ap.add_argument("--writer", default="nbtb", choices=["nbtb", "tensorboardX", "torch"])
    ap.add_argument("--force", action="store_true", help="delete an existing logdir")
    a = ap.parse_args(argv)

    cfg = dict(FULL)
    if a.small:
        cfg.update(steps=cfg["steps"] // 10, hist_steps=cfg["hist_steps"] // 10,
                   image_steps=cfg["image_steps"] // 10)
    if a.runs:
        cfg["runs"] = a.runs
    logdir = a.logdir or os.path.join(HERE, "data", "logdir-small" if a.small else "logdir")
    if os.path.exists(logdir):
        if not a.force and os.listdir(logdir):
            print(f"{logdir} exists and is not empty; use --force to overwrite", file=sys.stderr)
            return 1
        shutil.rmtree(logdir)
    os.makedirs(logdir)
    get_writer_class(a.writer)  # fail early if the writer is missing

    jobs = [(i, logdir, cfg, a.writer) for i in range(cfg["runs"])]
    print(f"writing {cfg['runs']} runs x {len(SCALAR_TAGS)} tags x {cfg['steps']} steps "
          f"with {a.writer}.SummaryWriter, {a.procs} processes -> {logdir}", flush=True)
    t = time.perf_counter()
    n_total = 0
    per_call = []
    ctx = mp.get_context("fork")
    with ctx.Pool(a.procs) as pool:
        for name, n, secs in pool.imap_unordered(write_run, jobs):
            n_total += n
            per_call.append(secs / n)
            print(f"  {name}: {n} scalars in {secs:.1f} s "
                  f"({secs / n * 1e6:.1f} us per scalar incl. hist/images)", flush=True)
    wall = time.perf_counter() - t
    size, files = dir_size(logdir)
    print(f"done: {n_total:,} scalar events, {files} files, {size / 1e6:.1f} MB in {wall:.1f} s "
          f"(median {np.median(per_call) * 1e6:.1f} us per add_scalar incl. hist/images)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
