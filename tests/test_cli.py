"""The ``nbtb`` command line, run as users run it: the installed console script in a subprocess
(``.venv/bin/nbtb``), or ``python -m nbtb.cli`` when the package is not installed."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbtb

ROOT = Path(__file__).resolve().parent.parent


def _command() -> list[str]:
    script = Path(sys.executable).parent / "nbtb"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("nbtb")
    return [found] if found else [sys.executable, "-m", "nbtb.cli"]


NBTB = _command()
OFFLINE_PROBE = """
import json, sys
from playwright.sync_api import sync_playwright
outside, errors = [], []
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    ctx = browser.new_context(offline=True)
    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()
    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sys.argv[1])
    page.wait_for_selector("#vis svg .mark-line path", timeout=30_000)
    paths = "#vis svg .mark-line path"
    out = {"outside": outside, "errors": errors, "text": page.inner_text("#vis"),
           "lines": page.eval_on_selector_all(paths, "els => els.length"),
           "strokes": page.eval_on_selector_all(paths, "els => els.map(e => e.getAttribute('stroke'))")}
    browser.close()
print(json.dumps(out))
"""


def run(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "NBTB_PROGRESS_AFTER": "60", **(env or {})}
    full_env.pop("NBTB_DEBUG", None)
    return subprocess.run([*NBTB, *map(str, args)], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "logs"
    for run, scale in (("run_a", 1.0), ("run_b", 2.0)):
        with nbtb.SummaryWriter(str(root / run)) as w:
            for step in range(0, 100, 2):
                w.add_scalar("loss/train", scale / (step + 1), step, walltime=1_700_000_000 + step)
                w.add_scalar("accuracy/val", 1 - scale / (step + 2), step, walltime=1_700_000_000 + step)
            w.add_scalar("loss/train", float("nan"), 100, walltime=1_700_000_100)
            if run == "run_a":
                w.add_histogram("weights", np.arange(10.0), 5, walltime=1_700_000_005)
                w.add_text("notes", "hello", 7, walltime=1_700_000_007)
    return root


def test_help_for_every_command():
    top = run("--help")
    assert top.returncode == 0 and "ls" in top.stdout and "csv" in top.stdout
    for command, words in (("ls", ["--summary", "LOGDIR"]), ("csv", ["--tag", "--run", "--output", "parquet"])):
        out = run(command, "--help")
        assert out.returncode == 0 and all(w in out.stdout for w in words), out.stdout
    bare = run()
    assert bare.returncode == 2 and "usage: nbtb" in bare.stderr


@pytest.mark.parametrize("command", [["ls"], ["csv", "--tag", "loss/train"]])
def test_missing_logdir_is_one_line_and_exit_2(tmp_path, command):
    out = run(command[0], tmp_path / "nope", *command[1:])
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert out.stderr.startswith("nbtb: error: logdir not found") and out.stdout == ""


def test_ls_lists_runs_kinds_tags_counts_steps_and_times(logdir):
    out = run("ls", logdir)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["run", "kind", "tag", "count", "steps", "time", "(UTC)"]
    rows = {tuple(line.split()[:3]): line for line in lines[1:]}
    assert set(rows) == {("run_a", "scalars", "accuracy/val"), ("run_a", "scalars", "loss/train"),
                         ("run_b", "scalars", "accuracy/val"), ("run_b", "scalars", "loss/train"),
                         ("run_a", "histograms", "weights"), ("run_a", "text", "notes/text_summary")}
    loss = rows[("run_a", "scalars", "loss/train")].split()
    assert loss[3:6] == ["51", "0–100", "2023-11-14"]  # 50 points + the NaN at step 100
    assert "22:13:20 → 22:15:00" in rows[("run_a", "scalars", "loss/train")]
    assert rows[("run_a", "histograms", "weights")].split()[3:5] == ["1", "5"]
    summary = run("ls", logdir, "--summary").stdout.splitlines()
    assert summary[1].split()[:5] == ["run_a", "histograms,scalars,text", "4", "103", "0–100"]
    only = run("ls", logdir, "--kind", "scalars", "--run", "_b$", "--tag", "^loss").stdout.splitlines()
    assert len(only) == 2 and only[1].split()[:3] == ["run_b", "scalars", "loss/train"]
    assert run("ls", logdir, "--run", "(").returncode == 2


def test_ls_of_an_empty_dir(tmp_path):
    out = run("ls", tmp_path)
    assert out.returncode == 0 and "no event files" in out.stderr


def test_csv_to_stdout_is_the_scalars_frame(logdir):
    out = run("csv", logdir, "--tag", "loss/train")
    assert out.returncode == 0, out.stderr
    got = pd.read_csv(io.StringIO(out.stdout))
    assert list(got.columns) == ["run", "tag", "step", "wall_time", "value"]
    want = nbtb.load(logdir, tag="loss/train").scalars
    assert len(got) == len(want) == 102
    np.testing.assert_array_equal(got["value"].to_numpy(), want["value"].to_numpy())  # full precision, nan kept
    np.testing.assert_array_equal(got["wall_time"].to_numpy(), want["wall_time"].to_numpy())
    assert list(got["run"].unique()) == ["run_a", "run_b"] and set(got["tag"]) == {"loss/train"}


def test_csv_filters_and_files(logdir, tmp_path):
    target = tmp_path / "out.csv"
    out = run("csv", logdir, "--tag", "loss/train", "--tag", "accuracy/val", "--run", "run_b", "-o", target)
    assert out.returncode == 0 and out.stdout == ""
    assert "wrote 101 rows" in out.stderr  # 51 loss (with the NaN) + 50 accuracy
    got = pd.read_csv(target)
    assert set(got["run"]) == {"run_b"} and set(got["tag"]) == {"loss/train", "accuracy/val"}
    gz = tmp_path / "out.csv.gz"
    assert run("csv", logdir, "--tag", "loss/train", "-o", gz, "-q").stderr == ""
    assert len(pd.read_csv(gz)) == 102


def test_csv_unknown_tag_or_run_names_the_available_ones(logdir):
    out = run("csv", logdir, "--tag", "loss")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "no scalar tag 'loss'" in out.stderr and "accuracy/val, loss/train" in out.stderr
    out = run("csv", logdir, "--tag", "weights")  # a histogram, not a scalar
    assert out.returncode == 2 and "scalar tags: accuracy/val, loss/train" in out.stderr
    out = run("csv", logdir, "--tag", "loss/train", "--run", "run_c")
    assert out.returncode == 2 and "no run named 'run_c'" in out.stderr and "run_a, run_b" in out.stderr


def test_parquet_needs_pyarrow(logdir, tmp_path):
    target = tmp_path / "out.parquet"
    out = run("csv", logdir, "--tag", "loss/train", "-o", target)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert out.returncode == 2 and "pyarrow" in out.stderr and "Traceback" not in out.stderr
        assert not target.exists()
    else:
        assert out.returncode == 0 and len(pd.read_parquet(target)) == 102


def test_progress_line_only_for_slow_loads(logdir):
    assert run("ls", logdir).stderr == ""  # fast: silent
    slow = run("ls", logdir, env={"NBTB_PROGRESS_AFTER": "0"})
    assert slow.returncode == 0 and f"reading {logdir}" in slow.stderr and "done in" in slow.stderr
    assert slow.stdout == run("ls", logdir).stdout  # stdout stays clean for pipes
    assert run("ls", logdir, "-q", env={"NBTB_PROGRESS_AFTER": "0"}).stderr == ""


def test_pipe_closed_early_is_quiet(logdir):
    cmd = " ".join([*(f"'{c}'" for c in NBTB), "csv", f"'{logdir}'", "--tag", "loss/train", "| head -2"])
    out = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.stdout.splitlines()[0] == "run,tag,step,wall_time,value" and "Traceback" not in out.stderr


def test_export_help_and_missing_logdir(tmp_path):
    out = run("export", "--help")
    assert out.returncode == 0 and "--max-points" in out.stdout and "no network" in out.stdout
    assert "--max-images" in out.stdout and "--static" in out.stdout and "--include-paths" in out.stdout
    out = run("export", tmp_path / "nope", "-o", tmp_path / "r.html")
    assert out.returncode == 2 and out.stderr.startswith("nbtb: error:") and "Traceback" not in out.stderr


@pytest.mark.slow
def test_export_static_is_one_file_of_vega_lite_charts_that_renders_offline(logdir, tmp_path):
    import vl_convert  # noqa: F401  (the test extra installs it; a missing one fails)
    if not Path("/usr/bin/chromium").is_file():
        pytest.fail("/usr/bin/chromium missing: apt-get install chromium (scripts/test.sh does)", pytrace=False)
    target = tmp_path / "report.html"
    out = run("export", logdir, "-o", target, "--max-points", "1000", "--static")
    assert out.returncode == 0, out.stderr
    assert f"wrote {target}" in out.stderr and "KB)" in out.stderr
    html = target.read_text()
    assert "<script src=" not in html and str(logdir) not in html  # inlined; no absolute path
    assert len(html) < 3_000_000
    # In a child process: the browser tests' session-wide Playwright runs an asyncio loop in this one.
    probe = subprocess.run([sys.executable, "-c", OFFLINE_PROBE, target.as_uri()], capture_output=True,
                           text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    outside, errors, text, lines, strokes = (seen[k] for k in ("outside", "errors", "text", "lines", "strokes"))
    assert not outside and not errors, (outside, errors)
    assert "loss/train" in text and "accuracy/val" in text and "nbtb · logs" in text
    assert lines == 2 * 2 * 2  # 2 tags x 2 runs x (faded raw + smoothed)
    from nbtb.plot import run_colors

    assert set(run_colors(["run_a", "run_b"]).values()) <= {s.lower() for s in strokes if s}
