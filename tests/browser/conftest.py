"""Session fixtures for the browser suite: one logdir, one JupyterLab, one Chromium, one notebook.

Starting JupyterLab, Chromium and a kernel costs ~10 s, so the suite shares them and runs the
notebook once; each test then inspects its cell's output.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from lab import KERNEL_IDLE, JupyterLab, cell_output, open_browser, open_notebook, run_all, write_notebook

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
RUNS = ("alpha", "beta", "gamma")
TAGS = ("loss/train", "loss/validation", "accuracy/train")
STEPS = 60
LONG_TAG, LONG_STEPS = "noise/long", 20_000  # alpha only: long enough to be reduced per pixel
# The notebook, one string per cell; cell indices are used by the tests.
CELLS = [
    "%load_ext nbtb",
    "%tensorboard --logdir {logdir} --reload_interval 0",
    "import nbtb\nnbtb.show(run='beta', reload_interval=0)",
    "nbtb.show(tag='loss/train', reload_interval=0.5)",  # no logdir: reuses the last one
]
MAGIC_CELL, SHOW_CELL, RELOAD_CELL = 1, 2, 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


def _writer(logdir: Path):
    try:
        from nbtb import SummaryWriter
    except ImportError:  # the loader's writer not there yet: tensorboardX writes the same files
        from tensorboardX import SummaryWriter
    return SummaryWriter(str(logdir))


def value_of(run: str, tag: str, step: int) -> float:
    """Deliberately awkward float64 values, so an approximate round trip would show."""
    k = RUNS.index(run) + 1
    if tag.startswith("accuracy"):
        return 1 - 1 / (1 + step * k * math.e / 7)
    base = math.pi / (step + 1) ** (0.5 * k) + 0.01 * math.sin(step * 1.7)
    return base * (1.1 if tag.endswith("validation") else 1.0)


@pytest.fixture(scope="session")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lab") / "logs"
    for run in RUNS:
        with _writer(root / run) as w:
            for step in range(STEPS):
                for tag in TAGS:
                    if tag.startswith("accuracy") and run == "gamma":
                        continue  # one tag missing from one run
                    w.add_scalar(tag, value_of(run, tag, step), step)
            if run == "alpha":
                for step in range(LONG_STEPS):
                    spike = 25.0 if step == 12_345 else 0.0
                    w.add_scalar(LONG_TAG, math.sin(step / 300) + spike + step * 1e-9, step)
    return root


@pytest.fixture(scope="session")
def frame(logdir: Path):
    """The loader's view of the logdir: what every number in the dashboard must equal."""
    import nbtb

    return nbtb.load(str(logdir)).scalars


@pytest.fixture(scope="session")
def page(logdir: Path):
    if not (REPO / "nbtb" / "static" / "dashboard.js").is_file():
        pytest.fail("front end not built: run npm ci && npm run build (scripts/test.sh does)", pytrace=False)
    if not shutil.which("/usr/bin/chromium"):
        pytest.fail("/usr/bin/chromium missing: apt-get install chromium (scripts/test.sh does)", pytrace=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob("FAILED-*.png"):  # from an earlier run
        stale.unlink()
    root = logdir.parent
    write_notebook(root / "suite.ipynb", [c.format(logdir=logdir) for c in CELLS])
    with JupyterLab(root, log=SCREENSHOTS.parent / "jupyterlab-browser-tests.log") as lab, \
            open_browser((1400, 1100)) as ctx:
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        messages: list[str] = []
        pg.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        pg.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        open_notebook(pg, lab, "suite.ipynb")
        errors = run_all(pg)
        if errors:
            pytest.fail("the notebook raised:\n" + "\n".join(errors), pytrace=False)
        pg.console_messages = messages  # for failure messages
        yield pg


@contextmanager
def notebook_tab(page, relpath: str, lab: JupyterLab | None = None) -> Iterator[Any]:
    """A second tab of the suite's Chromium (one Playwright per process) that runs the notebook
    ``relpath`` to the end: on ``lab``, or on the suite's JupyterLab (whose root is the suite
    logdir's parent). Its console is kept as ``console_messages`` for failure reports."""
    pg = page.context.new_page()
    pg.set_default_timeout(60_000)
    messages: list[str] = []
    pg.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    if lab is not None:
        open_notebook(pg, lab, relpath)
    else:
        base = re.match(r"(https?://[^/]+)", page.url).group(1)
        pg.goto(f"{base}/lab/tree/{relpath}", timeout=90_000)
        pg.wait_for_function(KERNEL_IDLE, timeout=90_000)
    errors = run_all(pg)
    if errors:
        pytest.fail(f"{relpath} raised:\n" + "\n".join(errors), pytrace=False)
    pg.console_messages = messages
    try:
        yield pg
    finally:
        pg.close()


def dashboard(page, cell: int):
    """The ready dashboard root in ``cell``'s output (waits for its first paint).

    Charts paint only when visible, so the output is scrolled into view first.
    """
    out = cell_output(page, cell)
    out.locator("[data-theme]").first.wait_for(state="attached")
    out.scroll_into_view_if_needed()
    root = out.locator('[data-ready="1"]').first
    root.wait_for(state="attached")
    return root


def hover_plot(page, root, c, fx: float = 0.5) -> list[dict]:
    """Hover the plot of card ``c`` at fraction ``fx`` of its width; the tooltip's per-run rows.

    The tooltip is placed in the dashboard's scroll container, so it is looked up from ``root``.
    The mouse first leaves every chart, so rows of an earlier hover are never read.
    """
    over = c.locator(".u-over")
    rows = root.locator('[data-testid="tooltip"]:visible [data-run]')
    for _ in range(5):
        page.mouse.move(0, 0)
        try:
            # A reload may re-render the card between these calls (the locator then finds the new
            # one on the next try), so a detached element is retried like a missing tooltip.
            over.scroll_into_view_if_needed()
            box = over.bounding_box()
            assert box and box["width"] > 50, "the plot has a size"
            # Locator.hover scrolls, waits for the plot to be hit-testable, then moves the mouse
            over.hover(position={"x": box["width"] * fx, "y": box["height"] * 0.5})
            rows.first.wait_for(state="attached", timeout=5_000)
            break
        except PlaywrightError:
            continue
    return [{k: rows.nth(i).get_attribute(f"data-{k}") for k in ("run", "raw", "smoothed", "step")}
            for i in range(rows.count())]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On failure, save what the browser showed and its console, for CI logs."""
    outcome = yield
    report = outcome.get_result()
    pg = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and pg is not None:
        try:
            pg.screenshot(path=str(SCREENSHOTS / f"FAILED-{item.name}.png"))
            console = getattr(pg, "console_messages", [])[-30:]
            report.sections.append(("browser console", "\n".join(console)))
        except Exception:
            pass
