"""Kernel side of the Images, Text, Audio, PR curves and HParams tabs (nbtb/widgets/media.py)."""

from __future__ import annotations

import numpy as np
import pytest

import nbtb
from nbtb.proto import summary_pb2
from nbtb.tensors import from_numpy
from nbtb.widgets.media import (
    hparams_reply, media_catalog, media_messages, media_reply, sniff_audio, sniff_image,
)

EVIL = '<img src=x onerror="window.__pwned=1">'


def add_pr(w, tag: str, arr: np.ndarray, step: int) -> None:
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="pr_curves"))
    w._summary(summary_pb2.Summary.Value(tag=tag, tensor=from_numpy(np.asarray(arr, dtype=np.float32)),
                                         metadata=meta), step, None)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    rng = np.random.default_rng(0)
    with nbtb.SummaryWriter(str(root / "a")) as w:
        for step in (0, 10, 20):
            w.add_image("img/x", rng.random((3, 8, 12)), step)
            w.add_text("notes", f"**step {step}** {EVIL}", step)
            w.add_audio("snd", np.sin(np.arange(400) / 3.0), step, sample_rate=8000)
            tp = np.array([6.0, 4, 1]); fp = np.array([3.0, 1, 0]); tn = 3 - fp; fn = 6 - tp
            add_pr(w, "pr/x", np.stack([tp, fp, tn, fn, tp / (tp + fp), tp / 6]), step)
        w.add_hparams({"lr": 0.1, "opt": "adam"}, {"hp/acc": 0.75}, run_name="hp1")
    with nbtb.SummaryWriter(str(root / "b")) as w:
        w.add_hparams({"lr": 0.01, "opt": "sgd"}, {"hp/acc": 0.5}, run_name="hp2")
    return root


@pytest.fixture(scope="module")
def source(logdir):
    return nbtb.load(str(logdir))


def req(plugin, tag, run="a", step=None):
    return {"kind": "media_request", "request_id": 7, "plugin": plugin, "tag": tag, "run": run, "step": step}


def test_images_reply_carries_the_logged_bytes_of_one_step(source):
    frame = source.images
    header, buffers = media_reply(source, req("images", "img/x"))
    assert header["steps"] == [0, 10, 20] and header["step"] == 20
    want = frame[(frame.run == "a") & (frame.step == 20)]
    assert len(buffers) == len(want) == len(header["items"]) == 1
    assert bytes(buffers[0]) == want["data"].iloc[0]
    item = header["items"][0]
    assert (item["width"], item["height"], item["mime"]) == (12, 8, "image/png")
    assert header["wall_times"] == [float(w) for w in frame[frame.run == "a"].groupby("step")["wall_time"].first()]


def test_step_is_snapped_to_an_existing_one(source):
    assert media_reply(source, req("images", "img/x", step=9))[0]["step"] == 10
    assert media_reply(source, req("images", "img/x", step=-100))[0]["step"] == 0


def test_text_audio_and_unknown(source):
    header, buffers = media_reply(source, req("text", "notes/text_summary", step=10))
    assert bytes(buffers[0]).decode() == f"**step 10** {EVIL}"
    header, buffers = media_reply(source, req("audio", "snd"))
    assert header["items"][0]["sample_rate"] == 8000 and header["items"][0]["mime"] == "audio/wav"
    assert bytes(buffers[0]) == source.audio["data"].iloc[-1]
    header, buffers = media_reply(source, req("images", "nope"))
    assert header["steps"] == [] and buffers == []
    assert "error" in media_reply(source, req("bogus", "x"))[0]


def test_pr_curves(source):
    header, buffers = media_reply(source, req("pr_curves", "pr/x"))
    assert header["items"] == [{"index": 0, "n": 3}] and len(buffers) == 6
    precision = np.frombuffer(bytes(buffers[4]), "<f8")
    np.testing.assert_allclose(precision, np.float32([6 / 9, 4 / 5, 1.0]))
    assert media_catalog(source)["pr_curves"] == {"pr/x": ["a"]}
    assert set(media_catalog(source)["hparams"]["_hparams_/experiment"]) == {"a/hp1", "b/hp2"}


def test_hparams_table_equals_the_frame(source):
    header, buffers = hparams_reply(source, {"request_id": 3})
    assert buffers == []
    assert header["columns"] == [{"name": "lr", "type": "hparam"}, {"name": "opt", "type": "hparam"},
                                 {"name": "hp/acc", "type": "metric"}]
    frame = source.hparams.set_index("run")
    assert [r["run"] for r in header["rows"]] == sorted(frame.index)
    for r in header["rows"]:
        assert r["values"] == [frame.loc[r["run"], "lr"], frame.loc[r["run"], "opt"], frame.loc[r["run"], "hp/acc"]]


def test_sniffing():
    assert sniff_image(b"\xff\xd8\xff\xe0", "png") == "image/jpeg"
    assert sniff_image(b"????", "gif") == "image/gif"
    assert sniff_audio(b"OggS....") == "audio/ogg"
    assert sniff_audio(b"ID3...") == "audio/mpeg"


def test_dashboard_routes_media_requests(logdir, monkeypatch):
    from nbtb.widgets.dashboard import Dashboard

    d = Dashboard(str(logdir), reload_interval=0)
    try:
        assert d.catalog["images"] == {"img/x": ["a"]}
        assert set(d.catalog["hparams"]) and d.catalog["pr_curves"] == {"pr/x": ["a"]}
        sent = []
        monkeypatch.setattr(d, "send", lambda msg, buffers=None: sent.append((msg, buffers)))
        d._on_msg(d, req("images", "img/x", step=0), [])
        d._on_msg(d, {"kind": "hparams_request", "request_id": 9}, [])
        assert [m["kind"] for m, _ in sent] == ["media_reply", "hparams_reply"]
        assert sent[0][0]["step"] == 0 and len(sent[0][1]) == 1
        assert [r["run"] for r in sent[1][0]["rows"]] == ["a/hp1", "b/hp2"]
    finally:
        d.close()


def test_errors_come_back_in_the_reply():
    class Broken:
        import threading
        _lock = threading.RLock()
        catalog: dict = {}

        @property
        def _source(self):
            raise RuntimeError("boom")

    [(msg, bufs)] = media_messages(Broken(), req("images", "x"))
    assert msg["kind"] == "media_reply" and "boom" in msg["error"] and bufs == []
    [(msg, _)] = media_messages(Broken(), {"kind": "hparams_request", "request_id": 1})
    assert msg["kind"] == "hparams_reply" and msg["rows"] == []


def test_panels_open_one_tab_alone(logdir):
    for name, tab in (("ImageGrid", "images"), ("TextView", "text"), ("AudioView", "audio"),
                      ("HParamsTable", "hparams"), ("PrCurvesView", "pr_curves")):
        cls = getattr(nbtb, name)
        w = cls(str(logdir))
        try:
            assert (w.tab, w.panel, w.reload_interval) == (tab, tab, 0)
            assert "panel" in w.keys
        finally:
            w.close()
    w = nbtb.ImageGrid(nbtb.load(str(logdir)), selected_runs=["a"])
    try:
        assert w.selected_runs == ["a"]
    finally:
        w.close()


def test_a_refresh_of_an_unchanged_series_sends_no_bytes(source):
    header, buffers = media_reply(source, {**req("images", "img/x"), "known_last": 20, "known_count": 3})
    assert header["unchanged"] is True and buffers == [] and header["items"] == []
    header, buffers = media_reply(source, {**req("images", "img/x"), "known_last": 10, "known_count": 2})
    assert "unchanged" not in header and len(buffers) == 1


def test_a_large_step_is_sent_in_parts_under_the_limit(tmp_path):
    """Many big images at one step: the reply is cut between images into messages under the
    limit (4 MB in use), each image whole, in order; the browser joins the parts (media.test.ts)."""
    from nbtb.widgets.media import split_reply

    from nbtb.writer import encode_png

    rng = np.random.default_rng(5)
    pngs = [encode_png(rng.integers(0, 256, (160, 160, 3), dtype=np.uint8)) for _ in range(6)]  # noise: ~77 KB
    # TF2's image summary: one string tensor [width, height, png, png, ...] (several images per step)
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images"))
    with nbtb.SummaryWriter(str(tmp_path / "r")) as w:
        w._summary(summary_pb2.Summary.Value(
            tag="big", tensor=from_numpy(np.array([b"160", b"160", *pngs], dtype=object)), metadata=meta), 0, None)
    source = nbtb.load(str(tmp_path))
    header, buffers = media_reply(source, req("images", "big", run="r"))
    sizes = [len(b) for b in buffers]
    assert len(sizes) == 6 and min(sizes) > 50_000
    limit = 2 * max(sizes) + 10
    parts = split_reply((header, buffers), limit=limit)
    assert len(parts) == 3
    assert [p[0]["part"] for p in parts] == [0, 1, 2] and {p[0]["parts"] for p in parts} == {3}
    assert all(sum(len(b) for b in bufs) <= limit for _, bufs in parts)
    joined = [item["index"] for h, _ in parts for item in h["items"]]
    assert joined == [item["index"] for item in header["items"]] == list(range(6))
    assert [bytes(b) for _, bufs in parts for b in bufs] == [bytes(b) for b in buffers]
    assert split_reply((header, buffers)) == [(header, buffers)]  # under 4 MB: one message, no parts
    alone = split_reply((header, buffers), limit=10)  # each item over the limit goes alone
    assert len(alone) == 6 and all(len(bufs) == 1 for _, bufs in alone)
