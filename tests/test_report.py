"""``nbtb.save_report`` / ``Dashboard.save`` / ``nbtb export``: one self-contained interactive HTML file.

The report is read back the way the page reads it (the JSON index and the gzip blob of
nbtb/report.py), and what it holds is compared with the loader's frames. The logdir is written at
test time by nbtb's SummaryWriter and tensorboardX, with hostile run/tag/markdown text.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nbtb
from nbtb import report

ROOT = Path(__file__).resolve().parent.parent
EVIL_RUN = '<img src=x onerror="window.__pwned=1">'
EVIL_TAG = "</script><script>window.__pwned=1</script>"
LONG = 5_000  # points of loss/train: longer than the default cap
IMAGE_STEPS = 8


def png_like(k: int, step: int) -> np.ndarray:
    img = np.zeros((3, 8, 8), dtype=np.float32)
    img[k % 3, :, : (step % 8) + 1] = 1.0
    return img


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> Path:
    from tensorboardX import SummaryWriter as TbxWriter

    root = tmp_path_factory.mktemp("report") / "my_experiment"
    rng = np.random.default_rng(3)
    for k, (run, writer) in enumerate((("alpha", nbtb.SummaryWriter), ("beta", nbtb.SummaryWriter),
                                       (EVIL_RUN, TbxWriter))):
        with writer(str(root / run)) as w:
            for step in range(LONG):
                spike = 100.0 if step == 3_333 else 0.0
                w.add_scalar("loss/train", np.exp(-step / 900) * (k + 1) + 0.01 * np.sin(step) + spike, step,
                             walltime=1_700_000_000 + step)
            for step in range(30):
                w.add_scalar(EVIL_TAG, step * 0.5 + k, step, walltime=1_700_000_000 + step)
            for step in range(0, 60, 3):
                w.add_histogram("weights", rng.normal(k, 1, 400), step, walltime=1_700_000_000 + step)
            for step in range(IMAGE_STEPS):
                w.add_image("samples", png_like(k, step), step, walltime=1_700_000_000 + step)
            w.add_text("notes", f"# run {k}\n\n<script>window.__pwned=1</script>", 4)
            if writer is nbtb.SummaryWriter:
                w.add_hparams({"lr": 0.1 * (k + 1), "opt": "adam"}, {"loss/train": 0.5 / (k + 1)},
                              run_name="hp")
    return root


def read_report(path: Path) -> tuple[dict, bytes, str]:
    """The page's JSON index, its decompressed blob and the HTML text."""
    html = path.read_text(encoding="utf-8")
    index = re.search(r'<script type="application/json" id="nbtb-report-index">(.*?)</script>', html, re.S)
    data = re.search(r'<script type="application/octet-stream" id="nbtb-report-data">(.*?)</script>', html, re.S)
    assert index and data, "the report holds its index and data blocks"
    return json.loads(index.group(1)), gzip.decompress(base64.b64decode(data.group(1))), html


def array(blob: bytes, ref: list) -> np.ndarray:
    offset, length, kind = ref
    raw = np.frombuffer(blob[offset:offset + length], dtype=np.uint8)
    if kind == "u1":
        return raw.astype(np.float64)
    width = 8 if kind == "f8" else 4  # numbers are stored as byte planes (nbtb/report.py _Blob)
    planes = raw.reshape(width, -1).T.copy()
    return np.frombuffer(planes.tobytes(), dtype={"f8": "<f8", "f4": "<f4", "i4": "<i4"}[kind]).astype(np.float64)


def scalars_of(index: dict, blob: bytes) -> dict[tuple[str, str], tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    return {(tag, run): (total, array(blob, s), array(blob, w), array(blob, v))
            for tag, run, total, s, w, v, *_ in index["scalars"]}


@pytest.fixture(scope="module")
def loader(logdir):
    return nbtb.load(str(logdir))


@pytest.fixture(scope="module")
def default_report(logdir, tmp_path_factory):
    target = tmp_path_factory.mktemp("out") / "report.html"
    info = nbtb.save_report(str(logdir), target)
    return info, target


def test_default_report_holds_every_tab_and_the_exact_points(default_report, loader):
    info, target = default_report
    index, blob, html = read_report(target)
    assert info.bytes == target.stat().st_size and info.runs == len(loader.runs)
    catalog = index["traits"]["catalog"]
    # tensorboardX rewrites the hostile tag into a safe one; nbtb's writer keeps it as logged
    assert {"loss/train", EVIL_TAG} <= set(catalog["scalars"])
    assert set(catalog["histograms"]) == {"weights"} and set(catalog["images"]) == {"samples"}
    assert set(catalog["text"]) == {"notes/text_summary"} and catalog["hparams"]
    scalars = scalars_of(index, blob)
    assert catalog["scalars"][EVIL_TAG] == ["alpha", "beta"]
    for run in catalog["scalars"][EVIL_TAG]:
        step, wall, value = loader.scalar_series(run, EVIL_TAG)
        total, s, w, v = scalars[(EVIL_TAG, run)]
        # short series travel whole and exact (steps as int32, float32 values widened back)
        assert total == 30 and np.array_equal(s, step) and np.array_equal(w, wall) and np.array_equal(v, value)
    # the HParams table is the kernel's own reply
    rows = index["hparams"]["rows"]
    assert sorted(r["run"] for r in rows) == ["alpha/hp", "beta/hp"]
    assert "<script" not in html.split('id="nbtb-report-index">', 1)[1].split("</script>", 1)[0]


def test_long_series_are_reduced_to_the_cap_keeping_ends_and_spikes(default_report, loader):
    index, blob, _ = read_report(default_report[1])
    for run in ("alpha", "beta", EVIL_RUN):
        step, _, value = loader.scalar_series(run, "loss/train")
        total, s, _, v = scalars_of(index, blob)[("loss/train", run)]
        assert total == LONG and len(s) <= report.MAX_POINTS < LONG
        assert s[0] == step[0] and s[-1] == step[-1]
        assert v.max() == value.max() and v.min() == value.min()  # the spike at 3333 survives
        at = np.searchsorted(step, s)
        assert np.array_equal(value[at], v), "kept points are exact values of the series"


def test_reduced_series_carry_gap_counts_and_means_for_smoothing(default_report, loader):
    from nbtb.report import gap_summary

    index, blob, _ = read_report(default_report[1])
    entry = next(e for e in index["scalars"] if e[0] == "loss/train" and e[1] == "alpha")
    assert len(entry) == 8
    step, _, value = loader.scalar_series("alpha", "loss/train")
    kept, gaps, means = array(blob, entry[3]), array(blob, entry[6]), array(blob, entry[7])
    keep = np.searchsorted(step, kept)
    assert gaps.sum() == keep[-1] + 1 and np.array_equal(gaps, np.diff(np.concatenate([[-1], keep])))
    i = int(np.argmax(gaps))  # the mean of the points dropped before kept point i
    want = value[keep[i - 1] + 1:keep[i]].mean()
    assert means[i] == pytest.approx(want, rel=1e-6)  # stored as float32
    assert np.array_equal(gap_summary(value, keep)[0], gaps)
    assert all(len(e) == 6 for e in index["scalars"] if e[0] != "loss/train")  # short: no gap data


def test_caps_for_images_histograms_and_points_are_honoured(logdir, loader, tmp_path):
    target = tmp_path / "small.html"
    info = nbtb.save_report(loader, target, max_points=200, max_images=3, max_histograms=4)
    index, blob, _ = read_report(target)
    assert all(len(array(blob, entry[3])) <= 200 for entry in index["scalars"])
    images = [m for m in index["media"] if m[0] == "images"]
    assert len(images) == 3
    for plugin, tag, run, steps, walls, recorded in images:
        assert steps == list(range(IMAGE_STEPS))[-3:] and [r[0] for r in recorded] == steps
        assert all(bytes(blob[o:o + n][:8]) == b"\x89PNG\r\n\x1a\n" for _, _, refs in recorded for o, n, _ in refs)
    hists = index["histograms"]
    all_steps = list(range(0, 60, 3))
    for tag, run, n, buckets, refs in hists:
        kept = array(blob, refs[0]).tolist()
        assert n == 4 and kept[0] == all_steps[0] and kept[-1] == all_steps[-1]
        offsets = array(blob, refs[2])
        assert offsets[0] == 0 and offsets[-1] == buckets == len(array(blob, refs[5]))
    assert any("reduced" in n for n in info.capped) and any("latest 3" in n for n in info.capped)
    assert target.stat().st_size < read_size(logdir, tmp_path)


def read_size(logdir: Path, tmp_path: Path) -> int:
    return nbtb.save_report(str(logdir), tmp_path / "full.html", max_points=100_000, max_images=100).bytes


def test_runs_and_tags_by_name_or_regex(loader, tmp_path):
    target = tmp_path / "r.html"
    nbtb.save_report(loader, target, runs=["alpha"], tags="^loss/")
    traits = read_report(target)[0]["traits"]
    assert traits["runs"] == ["alpha"] and traits["selected_runs"] == ["alpha"]
    assert set(traits["catalog"]["scalars"]) == {"loss/train"} and not traits["catalog"]["images"]
    nbtb.save_report(loader, target, runs="^(alpha|beta)$", tags=["samples"])
    traits = read_report(target)[0]["traits"]
    assert traits["runs"] == ["alpha", "beta"] and set(traits["catalog"]["images"]) == {"samples"}
    assert not traits["catalog"]["scalars"]


@pytest.mark.parametrize("kwargs, message", [
    ({"runs": ["gamma"]}, "no run named 'gamma'; runs: "),
    ({"runs": "^zzz"}, "no run matches"),
    ({"tags": "^zzz"}, "nothing to export"),
    ({"tags": "("}, "bad tag regex"),
    ({"max_points": 3}, "max_points must be at least 16"),
    ({"max_images": 0}, "at least 1"),
    ({"traits": {"colour": "red"}}, "unknown dashboard setting"),
])
def test_bad_options_raise_clear_errors(loader, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        nbtb.save_report(loader, tmp_path / "r.html", **kwargs)
    assert not (tmp_path / "r.html").exists()


def test_no_absolute_path_unless_asked(logdir, default_report, tmp_path):
    _, target = default_report
    html = target.read_text(encoding="utf-8")
    assert str(logdir) not in html and str(logdir.parent) not in html and os.path.expanduser("~") + "/" not in html
    traits = read_report(target)[0]["traits"]
    assert traits["logdir"] == "my_experiment" and "<title>nbtb · my_experiment</title>" in html
    nbtb.save_report(str(logdir), tmp_path / "p.html", include_paths=True)
    assert read_report(tmp_path / "p.html")[0]["traits"]["logdir"] == str(logdir)


def test_untrusted_text_cannot_leave_its_script_block(default_report):
    _, _, html = read_report(default_report[1])
    # exactly the page's three <script> elements open and close: the evil tag cannot end one early
    assert len(re.findall(r"<script\b", html, re.I)) == 3 and len(re.findall(r"</script", html, re.I)) == 3
    assert EVIL_TAG not in html and EVIL_RUN not in html  # only escaped forms are in the file
    assert "default-src 'none'" in html  # and the page may fetch nothing at all


def test_dashboard_save_keeps_its_settings(logdir, tmp_path):
    dash = nbtb.Dashboard(str(logdir), reload_interval=0, smoothing=0.25, tab="images", x_axis="relative",
                          selected_runs=["beta"])
    info = dash.save(tmp_path / "dash.html", max_images=2)
    traits = read_report(tmp_path / "dash.html")[0]["traits"]
    assert traits["smoothing"] == 0.25 and traits["tab"] == "images" and traits["x_axis"] == "relative"
    assert traits["selected_runs"] == ["beta"] and traits["reload_interval"] == 0.0
    assert info.path.endswith("dash.html") and info.bytes > 0
    dash.close()


def test_missing_bundle_is_a_clear_error(loader, tmp_path, monkeypatch):
    from nbtb.widgets.dashboard import FrontEndNotBuiltError

    monkeypatch.setattr(report, "REPORT_JS", tmp_path / "nope.js")
    with pytest.raises(FrontEndNotBuiltError, match="npm run build"):
        nbtb.save_report(loader, tmp_path / "r.html")


def test_bundle_is_built():
    """The report needs nbtb/static/report.js (npm run build; the wheel's build hook makes it)."""
    assert report.REPORT_JS.is_file(), "run npm ci && npm run build (scripts/test.sh does)"
    assert "nbtb-report" in report.REPORT_JS.read_text(encoding="utf-8")


# ---- the command line ---------------------------------------------------------------------------
def cli(*args: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NBTB_PROGRESS_AFTER": "60"}
    env.pop("NBTB_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "nbtb.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_export_prints_the_size_and_honours_options(logdir, tmp_path):
    target = tmp_path / "out.html"
    out = cli("export", logdir, "-o", target, "--run", "^alpha$", "--run", "^beta$", "--tag", "loss",
              "--max-points", "300", "--smoothing", "0.3", "--x", "wall_time")
    assert out.returncode == 0, out.stderr
    size = target.stat().st_size
    assert re.search(rf"wrote {re.escape(str(target))} \(\d+\.\d (KB|MB); 2 runs, 1 tags; 2 scalar series reduced",
                     out.stderr), out.stderr
    assert f"{size / 1024:.1f} KB" in out.stderr or f"{size / 1024 / 1024:.1f} MB" in out.stderr
    index, blob, html = read_report(target)
    traits = index["traits"]
    assert traits["runs"] == ["alpha", "beta"] and traits["smoothing"] == 0.3 and traits["x_axis"] == "wall_time"
    assert all(len(array(blob, entry[3])) <= 300 for entry in index["scalars"])
    assert str(logdir) not in html and traits["logdir"] == "my_experiment"


@pytest.mark.parametrize("args, message", [
    (("--run", "nothing"), "no event files under"),
    (("--tag", "nothing"), "nothing to export"),
    (("--tag", "("), "bad regex"),
    (("--max-images", "0"), "--max-images must be at least 1"),
    (("--max-points", "5"), "--max-points must be at least 16"),
])
def test_cli_export_bad_input_is_one_line_exit_2(logdir, tmp_path, args, message):
    out = cli("export", logdir, "-o", tmp_path / "x.html", *args)
    assert out.returncode == 2 and out.stderr.startswith("nbtb: error:") and message in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "x.html").exists()


def test_cli_export_unwritable_output_is_exit_1(logdir, tmp_path):
    out = cli("export", logdir, "-o", tmp_path / "no" / "such" / "dir.html", "-q")
    assert out.returncode == 1 and "cannot write" in out.stderr and "Traceback" not in out.stderr


def test_dashboard_over_several_logdirs_names_them_without_paths(logdir, tmp_path):
    from nbtb.widgets.multi import MultiLogdir

    union = MultiLogdir([("first", nbtb.load(str(logdir))), ("second", nbtb.load(str(logdir)))],
                        f"first:{logdir},second:{logdir}")
    dash = nbtb.Dashboard(union, reload_interval=0)
    dash.save(tmp_path / "multi.html")
    index, _, html = read_report(tmp_path / "multi.html")
    assert str(logdir) not in html and index["traits"]["logdir"] == "first, second"
    assert "first/alpha" in index["traits"]["runs"] and index["traits"]["catalog"]["scalars"]
    dash.close()


def test_damaged_file_still_exports_and_its_path_stays_out(logdir, tmp_path):
    import shutil

    copy = tmp_path / "damaged_logs"
    shutil.copytree(logdir / "alpha", copy / "alpha")
    shutil.copytree(logdir / "beta", copy / "beta")
    event_file = next((copy / "beta").glob("events.out.tfevents.*"))
    with open(event_file, "ab") as f:  # a torn, corrupt record at the end
        f.write(b"\x20\x00\x00\x00\x00\x00\x00\x00garbage-garbage-garbage")
    out = cli("export", copy, "-o", tmp_path / "d.html")
    assert out.returncode == 0, out.stderr
    index, _, html = read_report(tmp_path / "d.html")
    assert "nbtb: warning:" in out.stderr and str(event_file) in out.stderr  # told on the terminal,
    assert str(tmp_path) not in html and "tfevents" not in html  # not written into the report
    assert {"alpha", "beta"} <= set(index["traits"]["catalog"]["scalars"]["loss/train"])
