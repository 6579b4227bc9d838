"""``nbtb.show``: preselection of runs and tags, and reuse of the last logdir."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nbtb.widgets.dashboard as dashboard_mod
import nbtb.widgets.launch as show_mod
from nbtb.widgets.launch import select_runs, show, tag_regex

RUNS = ["run_lr_0001", "run_lr_001", "run_lr_00001", "base/."]


def test_run_selector_forms():
    assert select_runs(RUNS, "run_lr_001") == ["run_lr_001"]  # exact, not a prefix
    assert select_runs(RUNS, ["run_lr_001", "base/.", "nope"]) == ["run_lr_001", "base/."]
    assert select_runs(RUNS, re.compile(r"000")) == ["run_lr_0001", "run_lr_00001"]


def test_tag_selector_becomes_an_exact_regex():
    assert re.search(tag_regex("loss/train"), "loss/train")
    assert not re.search(tag_regex("loss"), "loss/train")
    assert re.search(tag_regex(["a.b", "c"]), "c") and not re.search(tag_regex(["a.b"]), "aXb")
    assert tag_regex(re.compile("^loss/")) == "^loss/"


def test_show_without_any_logdir_says_what_to_pass(monkeypatch):
    monkeypatch.setattr(show_mod, "_last_source", None)
    with pytest.raises(ValueError, match=r"nbtb.show\('logs'\)"):
        show()


def test_show_missing_logdir(tmp_path, monkeypatch):
    monkeypatch.setattr(show_mod, "_last_source", None)
    with pytest.raises(FileNotFoundError, match="logdir does not exist"):
        show(tmp_path / "nope")


@pytest.fixture
def logdir(tmp_path, monkeypatch):
    import nbtb
    esm = tmp_path / "stub.js"
    esm.write_text("export default {};")
    monkeypatch.setattr(dashboard_mod, "ESM_PATH", esm)
    for run, scale in (("run_a", 1.0), ("run_b", 2.0)):
        with nbtb.SummaryWriter(str(tmp_path / "logs" / run)) as w:
            for step in range(5):
                w.add_scalar("loss/train", scale / (step + 1), step)
                w.add_scalar("accuracy/train", 1 - scale / (step + 2), step)
    return tmp_path / "logs"


def test_show_preselects_and_reuses_the_last_logdir(logdir):
    dash = show(logdir, run="run_b", tag="loss/train", reload_interval=0)
    assert dash.runs == ["run_a", "run_b"] and dash.selected_runs == ["run_b"]
    assert dash.tag_filter == "^(?:loss/train)$"
    assert dash.catalog["scalars"] == {"accuracy/train": ["run_a", "run_b"],
                                       "loss/train": ["run_a", "run_b"]}
    again = show(reload_interval=0)
    assert again.logdir == str(logdir) and again.selected_runs == ["run_a", "run_b"]
    dash.close()
    again.close()


def test_logdir_spec_prefixes_runs(logdir):
    from nbtb.widgets.launch import open_dashboard

    dash = open_dashboard([("x", str(logdir)), ("y", str(logdir / "run_a"))], reload_interval=0)
    assert dash.runs == ["x/run_a", "x/run_b", "y"]
    assert dash.catalog["scalars"]["loss/train"] == ["x/run_a", "x/run_b", "y"]
    sent = []
    dash.send = lambda c, buffers=None: sent.append((c, buffers))
    dash._on_msg(dash, {"kind": "scalars_request", "request_id": 1, "tag": "loss/train",
                        "runs": ["y"], "width": 100, "smoothing": 0}, [])
    assert sent[0][0]["series"][0]["run"] == "y" and sent[0][0]["series"][0]["n"] == 5
    dash.close()


def test_reload_with_the_real_loader_appends_only_new_points(logdir):
    import nbtb

    dash = show(logdir, reload_interval=0)
    sent = []
    dash.send = lambda c, buffers=None: sent.append((c, buffers))
    dash._on_msg(dash, {"kind": "scalars_request", "request_id": 1, "tag": "loss/train",
                        "runs": ["run_a", "run_b"], "width": 300, "smoothing": 0.6}, [])
    sent.clear()
    with nbtb.SummaryWriter(str(logdir / "run_a")) as w:
        w.add_scalar("loss/train", 0.125, 5)
        w.add_scalar("accuracy/train", 0.5, 5)  # not requested by the browser: not sent
    assert dash.reload_once()
    [(content, buffers)] = sent
    assert content == {"kind": "scalars_append", "tag": "loss/train",
                       "series": [{"run": "run_a", "n": 1, "reset": False}]}
    assert [np.frombuffer(b, "<f8")[0] for b in buffers][::2] == [5.0, 0.125]  # step, value
    assert "reloaded" in dash.status
    dash.close()


def test_damaged_event_files_are_reported_in_status(logdir):
    event_file = next((logdir / "run_b").glob("*tfevents*"))
    with open(event_file, "ab") as f:
        f.write(b"\x17garbage that is not a TFRecord\x00" * 3)
    dash = show(logdir, reload_interval=0)
    assert "⚠" in dash.status, dash.status
    assert dash.runs == ["run_a", "run_b"]  # the intact records are still shown
    dash.close()


def _open_dashboards():
    from ipywidgets.widgets.widget import _instances

    return [w for w in _instances.values() if isinstance(w, dashboard_mod.Dashboard)]


def test_the_model_reaches_the_browser_before_the_logdir_is_read(logdir, monkeypatch):
    """The widget's model (which carries the front-end code) is opened first, so the browser
    loads that code while the kernel reads; the data then arrives as one state update."""
    import nbtb

    real_load = nbtb.load
    seen_while_loading = []

    def watching_load(path, *a, **k):
        seen_while_loading.extend((d.status, d.runs) for d in _open_dashboards())
        return real_load(path, *a, **k)

    monkeypatch.setattr(nbtb, "load", watching_load)
    dash = show(logdir, run="run_a", reload_interval=0)
    assert ("reading the logdir…", []) in seen_while_loading
    reference = dashboard_mod.Dashboard(real_load(str(logdir)), selected_runs=["run_a"], reload_interval=0)
    for name in ("logdir", "runs", "selected_runs", "catalog"):
        assert getattr(dash, name) == getattr(reference, name), name
    assert dash.status.startswith("loaded")
    dash.close()
    reference.close()


def test_a_failed_read_closes_the_opened_model(logdir, monkeypatch):
    import nbtb

    opened = []

    def failing_load(path, *a, **k):
        opened.extend(_open_dashboards())
        raise PermissionError(f"{path}: not readable")

    monkeypatch.setattr(nbtb, "load", failing_load)
    before = set(map(id, _open_dashboards()))
    with pytest.raises(PermissionError, match="not readable"):
        show(logdir, reload_interval=0)
    assert [d for d in opened if id(d) not in before]  # one was opened...
    assert not [d for d in _open_dashboards() if id(d) not in before]  # ...and closed again


def test_a_pending_dashboard_ignores_requests_until_it_has_data():
    dash = dashboard_mod.Dashboard(dashboard_mod.PENDING, logdir="logs")
    sent = []
    dash.send = lambda c, buffers=None: sent.append(c)
    dash._on_msg(dash, {"kind": "scalars_request", "request_id": 1, "tag": "x", "runs": ["a"]}, [])
    assert sent == [] and dash.catalog == {}
    dash.close()
