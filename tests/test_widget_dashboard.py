"""The Dashboard's Python side against a stand-in loader: requests, replies, reload, lifecycle.

The stand-in implements exactly the loader API the dashboard uses (nbtb.load's LogGroup), so these
tests need neither event files nor a browser.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import nbtb.widgets.dashboard as dashboard_mod
from nbtb.widgets.dashboard import Dashboard, FrontEndNotBuiltError, build_catalog


@dataclass
class FakeRefresh:
    new_runs: list = field(default_factory=list)
    scalars: pd.DataFrame = field(default_factory=lambda: _frame([]))
    reset: set = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.new_runs or self.reset or len(self.scalars))


def _frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["run", "tag", "step", "wall_time", "value"])
    return df.astype({"run": "category", "tag": "category", "step": "int64",
                      "wall_time": "float64", "value": "float64"})


class FakeLog:
    """Minimal LogGroup: series live in a dict; ``append`` queues rows for the next refresh."""

    def __init__(self, series: dict[tuple[str, str], np.ndarray]):
        self.path = "fake/logs"
        self.data = {k: list(enumerate(v.tolist())) for k, v in series.items()}
        self.pending: list[tuple] = []
        self.pending_reset: set = set()
        self.refreshes = 0
        self.fail = False

    @property
    def runs(self) -> list[str]:
        return sorted({r for r, _ in self.data})

    @property
    def tags(self) -> pd.DataFrame:
        return pd.DataFrame([(r, "scalars", t, len(p)) for (r, t), p in self.data.items()],
                            columns=["run", "kind", "tag", "count"])

    def scalar_series(self, run: str, tag: str):
        pts = self.data[(run, tag)]
        step = np.array([s for s, _ in pts], dtype=np.int64)
        value = np.array([v for _, v in pts], dtype=np.float64)
        return step, 1000.0 + step, value

    def append(self, run: str, tag: str, step: int, value: float) -> None:
        self.pending.append((run, tag, step, 1000.0 + step, value))

    def refresh(self) -> FakeRefresh:
        self.refreshes += 1
        if self.fail:
            raise OSError("disk on fire")
        known = set(self.runs)
        for run, tag, step, _, value in self.pending:
            self.data.setdefault((run, tag), []).append((step, value))
        r = FakeRefresh(sorted(set(self.runs) - known), _frame(self.pending), self.pending_reset)
        self.pending, self.pending_reset = [], set()
        return r


@pytest.fixture(autouse=True)
def front_end(tmp_path, monkeypatch):
    """A stub bundle, so these tests do not depend on `npm run build`."""
    esm = tmp_path / "dashboard.js"
    esm.write_text("export default { render() {} };")
    monkeypatch.setattr(dashboard_mod, "ESM_PATH", esm)
    monkeypatch.setattr(dashboard_mod, "CSS_PATH", tmp_path / "missing.css")


def make(log: FakeLog | None = None, **traits) -> tuple[Dashboard, list]:
    """A dashboard whose outgoing messages are recorded in ``sent``."""
    log = log or FakeLog({("a", "loss"): np.arange(10.0), ("b", "loss"): np.arange(5.0) * 2,
                          ("b", "acc"): np.ones(3)})
    traits.setdefault("reload_interval", 0)
    dash = Dashboard(log, **traits)
    sent: list = []
    dash.send = lambda content, buffers=None: sent.append((content, buffers or []))
    return dash, sent


def request(dash: Dashboard, **fields) -> None:
    msg = {"kind": "scalars_request", "request_id": 1, "tag": "loss", "runs": ["a", "b"],
           "width": 400, "smoothing": 0.6, "x_min": None, "x_max": None, **fields}
    dash._on_msg(dash, msg, [])


def values(content: dict, buffers: list, run: str, which: int = 2) -> np.ndarray:
    """Buffer ``which`` (0 step, 1 wall_time, 2 value, 3 smoothed) of ``run`` in a message."""
    i = 0
    for h in content["series"]:
        if h["run"] == run:
            return np.frombuffer(buffers[i + which], "<f8")
        i += 4 if h.get("reduced") else 3
    raise KeyError(run)


def test_initial_traits_describe_the_logdir():
    dash, _ = make()
    assert dash.logdir == "fake/logs"
    assert dash.runs == ["a", "b"] and dash.selected_runs == ["a", "b"]
    assert dash.catalog["scalars"] == {"acc": ["b"], "loss": ["a", "b"]}
    assert dash.catalog["histograms"] == {} and set(dash.catalog) >= {"images", "text", "audio"}
    assert dash.smoothing == 0.6 and dash.x_axis == "step" and dash.ignore_outliers
    assert dash.status.startswith("loaded ") and "2 runs" in dash.status


def test_missing_front_end_says_how_to_build_it(monkeypatch, tmp_path):
    monkeypatch.setattr(dashboard_mod, "ESM_PATH", tmp_path / "nope.js")
    with pytest.raises(FrontEndNotBuiltError, match="npm run build"):
        Dashboard(FakeLog({}))


def test_scalars_request_replies_with_binary_series():
    dash, sent = make()
    request(dash, request_id=42)
    [(content, buffers)] = sent
    assert content["kind"] == "scalars_reply" and content["request_id"] == 42
    assert [(h["run"], h["n"], h["reduced"]) for h in content["series"]] == [
        ("a", 10, False), ("b", 5, False)]
    np.testing.assert_array_equal(values(content, buffers, "b"), np.arange(5.0) * 2)
    np.testing.assert_array_equal(values(content, buffers, "a", 0), np.arange(10.0))
    np.testing.assert_array_equal(values(content, buffers, "a", 1), 1000.0 + np.arange(10))


def test_runs_without_the_tag_are_skipped():
    dash, sent = make()
    request(dash, tag="acc")
    assert [h["run"] for h in sent[0][0]["series"]] == ["b"]


def test_zoomed_request_keeps_one_neighbour_each_side():
    dash, sent = make()
    request(dash, runs=["a"], x_min=3, x_max=5)
    np.testing.assert_array_equal(values(*sent[0], "a", 0), [2, 3, 4, 5, 6])
    assert sent[0][0]["series"][0]["total"] == 5


def test_long_series_are_reduced_and_carry_the_full_series_smoothing():
    from nbtb.widgets.smoothing import smooth

    y = np.sin(np.arange(20_000) / 50.0)
    y[1234] = 9.0
    log = FakeLog({("a", "loss"): y})
    dash, sent = make(log)
    request(dash, runs=["a"], width=100, smoothing=0.9)
    content, buffers = sent[0]
    h = content["series"][0]
    assert h["reduced"] and h["total"] == 20_000 and h["n"] <= 400
    step = values(content, buffers, "a", 0).astype(int)
    np.testing.assert_array_equal(values(content, buffers, "a", 2), y[step])  # exact values
    assert 9.0 in values(content, buffers, "a", 2)
    np.testing.assert_allclose(values(content, buffers, "a", 3), smooth(y, 0.9)[step], rtol=1e-11)


def test_csv_request_returns_utf8_csv_of_the_selected_runs():
    dash, sent = make()
    dash._on_msg(dash, {"kind": "csv_request", "request_id": 5, "tag": "loss", "runs": ["b"]}, [])
    [(content, [buf])] = sent
    assert content == {"kind": "csv_reply", "request_id": 5, "filename": "loss.csv"}
    lines = bytes(buf).decode().splitlines()
    assert lines[0] == "run,tag,step,wall_time,value" and len(lines) == 6
    assert lines[2] == "b,loss,1,1001.0,2.0"


def test_bad_request_still_gets_a_reply_and_sets_status():
    dash, sent = make()
    dash._source.scalar_series = lambda run, tag: 1 / 0
    request(dash, request_id=9)
    assert sent[0][0]["request_id"] == 9 and sent[0][0]["series"] == []
    assert "ZeroDivisionError" in dash.status


def test_unknown_messages_are_ignored():
    dash, sent = make()
    dash._on_msg(dash, {"kind": "something_else"}, [])
    dash._on_msg(dash, "not even a dict", [])
    assert sent == []


# -- reload ---------------------------------------------------------------------------------
def test_reload_sends_only_new_points_of_requested_tags():
    dash, sent = make()
    request(dash, runs=["a"])  # the browser looks at "loss" only
    sent.clear()
    log = dash._source
    log.append("a", "loss", 10, 99.0)
    log.append("b", "loss", 5, 7.0)
    log.append("b", "acc", 3, 0.5)  # not requested: not sent
    assert dash.reload_once()
    [(content, buffers)] = sent
    assert content["kind"] == "scalars_append" and content["tag"] == "loss"
    assert {h["run"]: (h["n"], h["reset"]) for h in content["series"]} == {
        "a": (1, False), "b": (1, False)}
    np.testing.assert_array_equal(values(content, buffers, "a"), [99.0])
    assert dash.status.startswith("reloaded ")


def test_reload_resends_purged_series_whole_with_reset():
    dash, sent = make()
    request(dash)
    sent.clear()
    log = dash._source
    log.data[("a", "loss")] = [(0, 5.0), (1, 6.0)]  # a restarted run dropped its later steps
    log.pending_reset = {("a", "loss")}
    dash.reload_once()
    [(content, buffers)] = sent
    assert content["series"] == [{"run": "a", "n": 2, "reset": True}]
    np.testing.assert_array_equal(values(content, buffers, "a"), [5.0, 6.0])


def test_new_runs_update_runs_catalog_and_selection():
    dash, sent = make()
    dash._source.append("c", "loss", 0, 1.0)
    dash.reload_once()
    assert dash.runs == ["a", "b", "c"] and "c" in dash.selected_runs
    assert dash.catalog["scalars"]["loss"] == ["a", "b", "c"]
    assert sent == []  # nothing requested yet


def test_nothing_changed_sends_nothing():
    dash, sent = make()
    request(dash)
    sent.clear()
    assert not dash.reload_once()
    assert sent == []


def test_data_loss_warnings_reach_the_status_line(monkeypatch):
    import warnings

    import nbtb
    dlw = nbtb.DataLossWarning
    dash, _ = make()
    orig = dash._source.refresh

    def damaged():
        warnings.warn("run a: truncated record in events.out.tfevents.1", dlw)
        return orig()

    dash._source.refresh = damaged
    dash.reload_once()
    assert "truncated record" in dash.status and "⚠" in dash.status


# -- reload thread lifecycle --------------------------------------------------------------------
def wait_for(cond, timeout=5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_no_thread_until_displayed_and_none_when_interval_is_zero():
    dash, _ = make(reload_interval=0.02)
    assert dash._reloader is None  # not displayed yet: costs nothing
    dash._repr_mimebundle_()
    assert dash._reloader is not None and dash._reloader.alive
    dash.close()

    off, _ = make(reload_interval=0)
    off._repr_mimebundle_()
    assert off._reloader is None
    off.close()


def test_thread_reloads_periodically_and_stops_on_close():
    dash, _ = make(reload_interval=0.02)
    dash._repr_mimebundle_()
    assert wait_for(lambda: dash._source.refreshes >= 3)
    thread = dash._reloader.thread
    dash.close()
    thread.join(2)
    assert not thread.is_alive()
    count = dash._source.refreshes
    time.sleep(0.1)
    assert dash._source.refreshes == count


def test_changing_the_interval_restarts_or_stops_the_thread():
    dash, _ = make(reload_interval=0.02)
    dash._repr_mimebundle_()
    first = dash._reloader.thread
    dash.reload_interval = 0
    first.join(2)
    assert not first.is_alive() and dash._reloader is None
    dash.reload_interval = 0.05
    assert dash._reloader.alive
    dash.close()


def test_thread_stops_when_the_widget_is_garbage_collected():
    import comm
    from ipywidgets.widgets.widget import _instances

    dash, _ = make(reload_interval=0.02)
    dash._repr_mimebundle_()
    thread = dash._reloader.thread
    ref = weakref.ref(dash)
    # ipywidgets and the comm manager keep every open widget alive; drop those references
    # without calling close(): only the reload thread could still hold the widget then.
    _instances.pop(dash.model_id, None)
    comm.get_comm_manager().comms.pop(dash.comm.comm_id, None)
    dash.comm = None
    del dash
    assert wait_for(lambda: (gc.collect(), ref() is None)[1]), "the thread must not keep it alive"
    thread.join(2)
    assert not thread.is_alive()


def test_errors_in_the_thread_go_to_status_not_the_kernel():
    hook_calls = []
    old_hook = threading.excepthook
    threading.excepthook = lambda args: hook_calls.append(args)
    try:
        dash, _ = make(reload_interval=0.02)
        dash._source.fail = True
        dash._repr_mimebundle_()
        assert wait_for(lambda: "disk on fire" in dash.status)
        assert dash._reloader.alive, "one failed reload does not end reloading"
        dash.close()
    finally:
        threading.excepthook = old_hook
    assert hook_calls == []


def test_build_catalog_groups_runs_by_kind_and_tag():
    tags = pd.DataFrame({"run": ["r2", "r1", "r1", "r1"],
                         "kind": ["scalars", "scalars", "histograms", "hparams"],
                         "tag": ["loss", "loss", "w", "_hparams_"], "count": [1, 2, 3, 1]})
    cat = build_catalog(tags)
    assert cat["scalars"] == {"loss": ["r1", "r2"]} and cat["histograms"] == {"w": ["r1"]}
    assert "hparams" not in cat


def test_a_closed_dashboard_can_be_freed():
    # A class-level `_esm = Path(...)` would make anywidget keep every instance (and its loaded
    # frames) alive through a file-watch signal; the bundle text is per instance instead.
    dash, _ = make(reload_interval=0.02)
    dash._repr_mimebundle_()
    ref = weakref.ref(dash)
    dash.close()
    del dash
    assert wait_for(lambda: (gc.collect(), ref() is None)[1])


def test_the_bundle_text_is_sent_as_the_esm_trait():
    dash, _ = make()
    assert dash._esm == dashboard_mod.ESM_PATH.read_text()
    dash.close()
