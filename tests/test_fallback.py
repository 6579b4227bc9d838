"""The static fallback a displayed dashboard carries: an SVG of its scalar cards, for GitHub's
viewer and nbconvert, bounded in size; and an nbconvert round trip that shows it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nbtb
import nbtb.widgets.dashboard as dashboard_mod
from nbtb.plot import run_colors
from nbtb.widgets import fallback
from nbtb.widgets.fallback import MARKER, MAX_CARDS, MAX_POINTS

ROOT = Path(__file__).resolve().parent.parent
SVG = "image/svg+xml"
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def stub_frontend(tmp_path, monkeypatch):
    esm = tmp_path / "stub.js"
    esm.write_text("export default {};")
    monkeypatch.setattr(dashboard_mod, "ESM_PATH", esm)


def write_logs(root: Path, n_steps: int = 50, runs=("run_a", "run_b"), tags=("loss/train", "accuracy/val")):
    for i, run in enumerate(runs):
        with nbtb.SummaryWriter(str(root / run)) as w:
            for step in range(n_steps):
                for j, tag in enumerate(tags):
                    w.add_scalar(tag, (i + 1) / (step + 1) + j, step)
    return root


def data_of(bundle):
    return bundle[0] if isinstance(bundle, tuple) else bundle  # anywidget: (data, metadata)


def n_points(svg: str) -> int:
    return sum(len(re.findall(r"[ML]-?\d", d)) for d in re.findall(r' d="([^"]*)"', svg))


def test_displayed_dashboard_carries_the_static_cards(tmp_path, stub_frontend):
    dash = nbtb.Dashboard(write_logs(tmp_path / "logs"), reload_interval=0, smoothing=0.0)
    bundle = data_of(dash._repr_mimebundle_())
    assert WIDGET in bundle and "text/plain" in bundle  # the widget itself still comes first
    svg, html = bundle[SVG], bundle["text/html"]
    assert svg.startswith("<svg") and f'class="{MARKER}"' in svg and svg in html
    assert "loss/train" in svg and "accuracy/val" in svg and "2 runs" in svg
    colours = run_colors(["run_a", "run_b"])  # the dashboard's colours
    assert colours["run_a"] in svg and colours["run_b"] in svg
    assert str(tmp_path) not in svg  # the logdir's basename only, no absolute path
    assert svg.count('<path d="') == 4  # 2 tags x 2 runs, no faded raw lines at smoothing 0
    dash.close()


def test_picture_follows_the_dashboard_state(tmp_path, stub_frontend):
    dash = nbtb.Dashboard(write_logs(tmp_path / "logs"), reload_interval=0, smoothing=0.6,
                          selected_runs=["run_b"], tag_filter="LOSS")  # case-insensitive, as the UI
    svg = fallback.static_bundle(dash)[SVG]
    assert "loss/train" in svg and "accuracy/val" not in svg
    # run_b keeps the colour the dashboard gives it among all its runs, not among the drawn ones
    assert run_colors(["run_a", "run_b"])["run_b"] in svg and ">run_a<" not in svg
    assert svg.count('<path d="') == 2 and 'stroke-opacity="0.25"' in svg  # raw + smoothed
    dash.tag_filter = "loss("  # an invalid regex is a plain substring, as in js/filter.ts
    assert "no scalar data" in fallback.static_bundle(dash)[SVG]
    dash.x_axis = "wall_time"
    dash.tag_filter = ""
    assert re.search(r">\d{4}-\d\d-\d\d \d\d:\d\d<", fallback.static_bundle(dash)[SVG])
    dash.close()


def test_size_is_bounded(tmp_path, stub_frontend):
    tags = [f"t{i:02d}" for i in range(MAX_CARDS + 3)]
    root = write_logs(tmp_path / "logs", n_steps=3000, runs=[f"r{i}" for i in range(4)], tags=tags)
    dash = nbtb.Dashboard(root, reload_interval=0, smoothing=0.6)
    svg = fallback.static_bundle(dash)[SVG]
    assert svg.count('class="card"') == MAX_CARDS and "3 more not drawn" in svg
    assert n_points(svg) <= MAX_POINTS
    assert len(svg) < 300_000
    dash.close()


def test_a_broken_picture_never_breaks_the_display(tmp_path, stub_frontend, monkeypatch):
    dash = nbtb.Dashboard(write_logs(tmp_path / "logs"), reload_interval=0)

    def boom(_widget):
        raise RuntimeError("boom")

    monkeypatch.setattr(fallback, "static_bundle", boom)
    bundle = data_of(dash._repr_mimebundle_())
    assert SVG not in bundle and WIDGET in bundle
    monkeypatch.undo()
    dash.static_fallback = False
    assert SVG not in data_of(dash._repr_mimebundle_())
    dash.close()


def test_nan_and_inf_are_gaps_and_a_lone_point_is_a_dot():
    import pandas as pd

    df = pd.DataFrame({"tag": "t", "run": "r", "step": [0, 1, 2, 3, 4], "wall_time": 0.0,
                       "x": [0.0, 1, 2, 3, 4], "value": [1.0, np.nan, 2.0, np.inf, 3.0]})
    df["smoothed"] = df["value"]
    svg = fallback.render_svg(df, ["t"])
    d = re.findall(r' d="([^"]*)"', svg)[0]
    assert d.count("M") == 3 and d.count("h0") == 3 and "nan" not in svg and "inf" not in svg


@pytest.mark.slow
def test_nbconvert_round_trip_shows_the_static_chart(tmp_path):
    if not dashboard_mod.ESM_PATH.is_file():
        pytest.fail("front end not built: run npm ci && npm run build (scripts/test.sh does)", pytrace=False)
    write_logs(tmp_path / "logs")
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        f"import nbtb\nnbtb.show({str(tmp_path / 'logs')!r}, reload_interval=0)")]
    nbformat.write(nb, tmp_path / "dash.ipynb")
    nbconvert = [sys.executable, "-m", "nbconvert"]
    # execute with the venv's kernel; nbclient saves the widget state in the notebook
    subprocess.run([*nbconvert, "--to", "notebook", "--execute", "dash.ipynb", "--output", "run.ipynb"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=180)
    ran = json.loads((tmp_path / "run.ipynb").read_text())
    data = ran["cells"][0]["outputs"][0]["data"]
    assert WIDGET in data and MARKER in "".join(data[SVG])  # what GitHub's viewer draws
    # Saved without widget state (JupyterLab's default), nbconvert draws the static picture.
    # With the state saved it renders the live widget instead; clearing the metadata falls back.
    subprocess.run([*nbconvert, "--to", "html", "--ClearMetadataPreprocessor.enabled=True", "run.ipynb",
                    "--output", "run.html"], cwd=tmp_path, check=True, capture_output=True, timeout=180)
    html = (tmp_path / "run.html").read_text()
    assert len(re.findall(rf'<svg [^>]*class="{MARKER}"', html)) == 1  # nbconvert reorders attributes
    colours = run_colors(["run_a", "run_b"])
    assert "loss/train" in html and colours["run_a"] in html and colours["run_b"] in html
    assert 'type="application/vnd.jupyter.widget-view+json"' not in html
