"""Reading a logdir (no frame built): wall and CPU seconds of `nbtb.load`, best and median.

    python bench/read_cpu.py [--logdir bench/data/logdir] [--repeat 5]

CPU seconds (all threads of this process, `time.process_time`) move less than wall time on a
shared machine, so they compare loader changes better; the frame is left out because it is the
same work before and after a reader change. compare_loaders.py has the full contest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import nbtb  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logdir", default=os.path.join(ROOT, "bench", "data", "logdir"))
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    wall, cpu = [], []
    for _ in range(a.repeat):
        t, c = time.perf_counter(), time.process_time()
        nbtb.load(a.logdir)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"nbtb.load({a.logdir!r}) x{a.repeat}: wall best {min(wall):.2f} s, median "
          f"{statistics.median(wall):.2f} s; CPU best {min(cpu):.2f} s, median {statistics.median(cpu):.2f} s; "
          f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
