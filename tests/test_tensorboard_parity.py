"""Every value nbtb reads equals what TensorBoard's own reader reads, on files real writers wrote.

Fixtures: tests/data/{keras_sweep,tf2_summaries} were written by TensorFlow 2.21 / Keras 3.15
(copied from the team's shared fixtures, see tests/data/README.md); the others are written here
at test time by tensorboardX and by torch.utils.tensorboard (torch 2.13.0, CPU).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbtb
import tensorboard_reference

DATA = Path(__file__).parent / "data"


def _write_with(module_writer, logdir: Path) -> None:
    rng = np.random.default_rng(7)
    with module_writer(str(logdir / "run_a")) as w:
        for step in range(40):
            w.add_scalar("loss/train", float(np.exp(-step / 10) + rng.normal(0, 0.01)), step)
            w.add_scalar("lr", 0.1 / (1 + step), step)
            if step % 10 == 0:
                w.add_histogram("weights/dense", rng.normal(step / 10, 1, 500), step)
                w.add_image("samples", rng.integers(0, 255, (3, 8, 12), dtype=np.uint8), step)
                w.add_text("notes", f"step **{step}**", step)
                w.add_audio("tone", np.sin(np.linspace(0, 60, 800)).astype(np.float32), step, sample_rate=8000)
        w.add_scalar("special/nan", float("nan"), 0)
        w.add_scalar("special/inf", float("inf"), 1)
        w.add_scalar("special/ninf", float("-inf"), 2)
        w.add_scalars("pair", {"a": 1.0, "b": 2.0}, 3)
        if "run_name" in inspect.signature(w.add_hparams).parameters:  # tensorboardX has no run_name
            w.add_hparams({"lr": 0.1, "opt": "sgd", "nesterov": True}, {"hparam/accuracy": 0.9}, run_name="hp")
    with module_writer(str(logdir / "run_b")) as w:
        for step in range(0, 300, 3):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)


@pytest.fixture(scope="module")
def tensorboardx_logdir(tmp_path_factory) -> Path:
    from tensorboardX import SummaryWriter

    logdir = tmp_path_factory.mktemp("tbx")
    _write_with(SummaryWriter, logdir)
    return logdir


@pytest.fixture(scope="module")
def torch_logdir(tmp_path_factory) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    logdir = tmp_path_factory.mktemp("torch")
    _write_with(SummaryWriter, logdir)
    return logdir


@pytest.fixture(scope="module")
def nbtb_logdir(tmp_path_factory) -> Path:
    logdir = tmp_path_factory.mktemp("nbtb")
    _write_with(nbtb.SummaryWriter, logdir)
    return logdir


LOGDIRS = ["keras_sweep", "tf2_summaries", "tensorboardx_logdir", "torch_logdir", "nbtb_logdir"]


def _logdir(name: str, request) -> Path:
    return DATA / name if (DATA / name).exists() else request.getfixturevalue(name)


def _series(df: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    return {(str(r), str(t)): g.reset_index(drop=True) for (r, t), g in df.groupby(["run", "tag"], observed=True)}


@pytest.mark.parametrize("name", LOGDIRS)
def test_scalars_equal_tensorboard(name, request):
    logdir = _logdir(name, request)
    reference = tensorboard_reference.read(str(logdir)).get("scalars", {})
    ours = _series(nbtb.load(logdir).scalars)
    assert set(ours) == set(reference)
    for key, events in reference.items():
        got = ours[key]
        assert got["step"].tolist() == [e[0] for e in events], key
        assert got["wall_time"].tolist() == [e[1] for e in events], key
        np.testing.assert_array_equal(got["value"].to_numpy(), np.array([float(e[2]) for e in events]), err_msg=str(key))


@pytest.mark.parametrize("name", LOGDIRS)
def test_histograms_equal_tensorboard(name, request):
    logdir = _logdir(name, request)
    reference = tensorboard_reference.read(str(logdir)).get("histograms", {})
    ours = _series(nbtb.load(logdir).histograms)
    assert set(ours) == set(reference)
    for key, events in reference.items():
        got = ours[key]
        assert got["step"].tolist() == [e[0] for e in events]
        for (_, _, table), left, right, count in zip(events, got["left"], got["right"], got["count"]):
            table = np.asarray(table, dtype=np.float64).reshape(-1, 3)
            np.testing.assert_array_equal(left, table[:, 0])
            np.testing.assert_array_equal(right, table[:, 1])
            np.testing.assert_array_equal(count, table[:, 2])


@pytest.mark.parametrize("name", LOGDIRS)
def test_images_equal_tensorboard(name, request):
    logdir = _logdir(name, request)
    reference = tensorboard_reference.read(str(logdir)).get("images", {})
    images = nbtb.load(logdir).images
    ours = _series(images)
    assert set(ours) == set(reference)
    for key, events in reference.items():
        got = ours[key]
        expected = [(step, i, int(t[0]), int(t[1]), bytes(blob)) for step, _, t in events for i, blob in enumerate(t[2:])]
        assert list(zip(got["step"], got["index"], got["width"], got["height"], got["data"])) == expected
    assert set(images["format"]) <= {"png"}


@pytest.mark.parametrize("name", LOGDIRS)
def test_audio_and_text_equal_tensorboard(name, request):
    logdir = _logdir(name, request)
    reference = tensorboard_reference.read(str(logdir))
    lg = nbtb.load(logdir)
    audio = _series(lg.audio)
    assert set(audio) == set(reference.get("audio", {}))
    for key, events in reference.get("audio", {}).items():
        # TensorBoard's migration keeps column 0 (the clip) of [k, 2] audio tensors.
        clips = [(step, t if t.ndim == 1 else t[:, 0]) for step, _, t in events]
        expected = [(step, bytes(clip)) for step, column in clips for clip in column]
        assert list(zip(audio[key]["step"], audio[key]["data"])) == expected
        assert (audio[key]["sample_rate"] > 0).all()
    text = _series(lg.text)
    assert set(text) == set(reference.get("text", {}))
    for key, events in reference.get("text", {}).items():
        assert text[key]["step"].tolist() == [e[0] for e in events]
        for (_, _, t), got in zip(events, text[key]["text"]):
            t = np.asarray(t)
            if t.ndim == 0 or t.size == 1:  # markdown, as written
                assert got == t.reshape(-1)[0].decode("utf-8")
            else:  # a table: every cell is in it
                for cell in t.reshape(-1):
                    assert cell.decode("utf-8").replace("|", "\\|").replace("\n", " ") in got


def test_keras_fixture_counts_match_manifest():
    """The shared manifest lists TensorBoard's own view; our tags frame says the same counts."""
    import json

    manifest = json.loads((DATA / "manifest.json").read_text())["folders"]["keras_sweep"]["entries"]
    tags = nbtb.load(DATA / "keras_sweep").tags
    counts = {(r, t): c for r, t, c in zip(tags["run"], tags["tag"], tags["count"])}
    for entry in manifest:
        assert counts[(entry["run"], entry["tag"])] == entry["count"], entry


def test_tf2_int64_scalar_and_tensor_plugins():
    lg = nbtb.load(DATA / "tf2_summaries")
    seen = lg.scalars[lg.scalars["tag"] == "counters/examples_seen"]
    assert seen["value"].tolist() == [48.0 * s + 7 for s in range(30)]
    plugins = set(lg.tensors["plugin"])
    assert {"pr_curves", "custom_scalars", "graph_run_metadata_graph"} <= plugins
    pr = lg.tensors[lg.tensors["plugin"] == "pr_curves"]
    assert pr["step"].tolist() == [0, 14, 28] and pr["value"].iloc[0].shape == (6, 11)
    assert lg.tags.query("kind == 'graphs'")["count"].tolist() == [1]


def test_keras_hparams_like_tensorboard_dashboard():
    hp = nbtb.load(DATA / "keras_sweep").hparams.set_index("run")
    assert list(hp.index) == ["lr_0.001", "lr_0.01", "lr_0.1"]
    assert hp.loc["lr_0.1", "learning_rate"] == 0.1 and hp.loc["lr_0.1", "activation"] == "gelu"
    assert hp["layer_norm"].tolist() == [False, False, False]
    scalars = nbtb.load(DATA / "keras_sweep").scalars
    last = scalars[(scalars.run == "lr_0.01/validation") & (scalars.tag == "epoch_loss")]["value"].iloc[-1]
    assert hp.loc["lr_0.01", "validation/epoch_loss"] == last
    assert {"validation/epoch_loss", "validation/epoch_mae", "train/epoch_loss"} <= set(hp.columns)


def test_torch_add_hparams(torch_logdir):
    hp = nbtb.load(torch_logdir).hparams
    row = hp[hp["run"] == "run_a/hp"].iloc[0]
    assert row["lr"] == 0.1 and row["opt"] == "sgd" and row["nesterov"] is True or row["nesterov"] == True  # noqa: E712
    assert row["hparam/accuracy"] == pytest.approx(0.9)


def test_special_values_are_kept(torch_logdir):
    df = nbtb.load(torch_logdir, tag=["special/nan", "special/inf", "special/ninf"]).scalars
    values = dict(zip(df["tag"], df["value"]))
    assert np.isnan(values["special/nan"]) and values["special/inf"] == np.inf and values["special/ninf"] == -np.inf


def test_run_and_tag_selectors(torch_logdir):
    import re

    lg = nbtb.load(torch_logdir, run=re.compile(r"^run_b$"), tag="loss/train")
    assert lg.runs == ["run_b"] and set(lg.scalars["tag"]) == {"loss/train"}
    assert len(lg.scalars) == 100
    lg = nbtb.load(torch_logdir, run=["run_a", "run_b"])
    assert lg.runs == ["run_a", "run_b"]


def test_add_scalars_makes_one_run_per_key(torch_logdir):
    lg = nbtb.load(torch_logdir, tag="pair")
    assert sorted(set(lg.scalars["run"].astype(str))) == ["run_a/pair_a", "run_a/pair_b"]


def test_frame_dtypes(torch_logdir):
    df = nbtb.load(torch_logdir).scalars
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert str(df["step"].dtype) == "int64" and str(df["value"].dtype) == "float64"
    h = nbtb.load(torch_logdir).histograms
    assert list(h.columns) == ["run", "tag", "step", "wall_time", "left", "right", "count"]
    assert all(len(a) == len(b) == len(c) for a, b, c in zip(h["left"], h["right"], h["count"]))


@pytest.mark.parametrize("name", LOGDIRS)
def test_tags_counts_equal_the_frames_without_decoding_media(name, request):
    """`.tags` counts histogram/image/audio records from a peek; the counts equal the decoded frames."""
    lg = nbtb.load(_logdir(name, request))
    tags = lg.tags  # first: nothing decoded yet
    for kind in ("scalars", "histograms", "images", "audio", "text"):
        frame = getattr(lg, kind)
        expected = {(str(r), str(t)): n for (r, t), n in frame.groupby(["run", "tag"], observed=True).size().items()}
        got = {(r, t): c for r, k, t, c in tags[["run", "kind", "tag", "count"]].itertuples(index=False) if k == kind}
        assert got == expected, kind
