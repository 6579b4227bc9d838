"""Images tab speed in a real JupyterLab + Chromium (issue 4, item 10).

A logdir of 32 runs x 50 steps of 64x64 PNGs (1,600 images, one tag); the notebook runs
`nbtb.show(logdir, tab="images")`. Measured: time from executing the cell to the first image
painted (an <img> in the dashboard complete with its natural size), with the kernel's part; bytes
the kernel sent over the websocket while the tab opened, against the bytes of all images; how many
image cards asked for data (only the visible ones should).

    python bench/media_images.py [--out bench/results/media_images.md]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))
sys.path.insert(0, str(REPO))

from lab import count_received, JupyterLab, open_browser, open_notebook, run_all, write_notebook  # noqa: E402

RUNS, STEPS, SIZE = 32, 50, 64

FIRST_IMAGE = """() => [...document.querySelectorAll('[data-testid="image-card"] img')]
  .some(i => i.complete && i.naturalWidth === %d)""" % SIZE


def make_logdir(root: Path) -> int:
    import nbtb

    rng = np.random.default_rng(0)
    for r in range(RUNS):
        with nbtb.SummaryWriter(str(root / f"run{r:02d}")) as w:
            for step in range(STEPS):
                w.add_image("samples", rng.random((3, SIZE, SIZE)), step)
    return int(nbtb.load(str(root)).images["data"].map(len).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "media_images.md")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="nbtb-bench-images-"))
    logdir = root / "logs"
    t0 = time.perf_counter()
    all_bytes = make_logdir(logdir)
    write_time = time.perf_counter() - t0
    write_notebook(root / "bench.ipynb", [f"import nbtb\nnbtb.show({str(logdir)!r}, tab='images', reload_interval=0)"])
    result: dict[str, object] = {"runs": RUNS, "steps": STEPS, "image_px": SIZE, "images": RUNS * STEPS,
                                 "all_image_bytes": all_bytes, "write_s": round(write_time, 2)}
    with JupyterLab(root) as lab, open_browser((1600, 1200)) as ctx:
        page = ctx.new_page()

        received = count_received(page)
        open_notebook(page, lab, "bench.ipynb", timeout=180)
        before = received["bytes"]
        start = time.perf_counter()
        errors = run_all(page, timeout=600)
        kernel_done = time.perf_counter()
        if errors:
            print("\n".join(errors), file=sys.stderr)
            return 1
        page.wait_for_function(FIRST_IMAGE, timeout=600_000, polling=16)
        painted = time.perf_counter()
        page.wait_for_timeout(1500)  # the other visible cards' replies
        result["execute_to_first_image_s"] = round(painted - start, 2)
        result["kernel_cell_s"] = round(kernel_done - start, 2)
        result["bytes_to_browser_at_open"] = received["bytes"] - before
        result["cards"] = page.locator('[data-testid="image-card"]').count()
        result["cards_loaded"] = page.locator('[data-testid="image-card"][data-loading="0"]').count()
        result["images_in_page"] = page.locator('[data-testid="image-card"] img').count()
    result["platform"] = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, Chromium (headless)"
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.write_text("\n".join([
        "# Images tab: 32 runs x 50 steps of 64x64 PNGs",
        "",
        "`python bench/media_images.py` (JupyterLab + headless Chromium, on this machine).",
        "",
        "| what | value |",
        "|---|---|",
        f"| cell executed → first image painted | {result['execute_to_first_image_s']} s (target < 2 s) |",
        f"| of which the kernel cell (load + widget) | {result['kernel_cell_s']} s |",
        f"| image cards / cards that asked for data (visible) | {result['cards']} / {result['cards_loaded']} |",
        f"| images in the page | {result['images_in_page']} of {result['images']} |",
        f"| bytes sent to the browser while opening | {result['bytes_to_browser_at_open'] / 1e3:.1f} kB |",
        f"| bytes of all images in the logdir | {all_bytes / 1e3:.1f} kB |",
        f"| platform | {result['platform']} |",
        "",
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
