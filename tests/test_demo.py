"""The seed experiment: real training, three learning rates, every dashboard kind populated."""

from __future__ import annotations

import numpy as np
import pytest

from nbtb import demo


def test_the_mlp_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x, y = demo.make_data(16, rng)
    model = demo.MLP.init(rng, hidden=8)
    _, _, grads = model.loss_and_grads(x, y)
    eps = 1e-6
    for name, index in (("w1", (3, 2)), ("b1", (5,)), ("w2", (1, 3)), ("b2", (0,))):
        param = getattr(model, name)
        old = param[index]
        param[index] = old + eps
        up = model.loss_and_grads(x, y)[0]
        param[index] = old - eps
        down = model.loss_and_grads(x, y)[0]
        param[index] = old
        assert grads[name][index] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)


def test_data_has_four_balanced_learnable_classes():
    x, y = demo.make_data(2000, np.random.default_rng(1))
    assert x.shape == (2000, 64)
    assert np.bincount(y, minlength=4).min() > 400


def test_image_grid_is_uint8_rgb():
    grid = demo.to_rgb_grid(np.random.default_rng(2).normal(size=(10, 64)), cols=4, scale=2)
    assert grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 3


def test_demo_logdir_has_three_runs_and_every_kind(tmp_path):
    import nbtb
    final = demo.write_demo(tmp_path, steps=400)
    lg = nbtb.load(str(tmp_path))
    assert lg.runs == ["run_lr_00001", "run_lr_0001", "run_lr_001"]
    kinds = lg.tags.groupby("kind", observed=True)["tag"].apply(set).to_dict()
    assert {"loss/train", "loss/validation", "accuracy/train", "accuracy/validation",
            "learning_rate"} <= kinds["scalars"]
    assert {"weights/layer1", "gradients/layer2"} <= kinds["histograms"]
    assert "samples/inputs" in kinds["images"]
    assert "config/text_summary" in kinds["text"]  # torch appends /text_summary too
    # the learning rate is what makes the difference: faster learning, lower loss
    assert final["run_lr_001"]["loss"] < final["run_lr_0001"]["loss"] < final["run_lr_00001"]["loss"]
    _, _, lr = lg.scalar_series("run_lr_0001", "learning_rate")
    assert np.allclose(lr, 0.001)
    # the Graphs tab: one training step's op graph, wired as the numpy code computes it
    g = lg.graph("run_lr_001")
    inputs = {dst: sorted(grp["src"]) for dst, grp in g.edges[g.edges["kind"] == "data"].groupby("dst")}
    assert inputs["dense_2/MatMul"] == ["dense_1/Relu", "dense_2/w"]
    assert inputs["gradients/dense_1/w"] == ["gradients/ReluGrad", "input/images"]
    assert dict(zip(g.nodes["name"], g.nodes["shape"]))["dense_1/w"] == "[64, 64]"
    updates = g.edges[(g.edges["kind"] == "control")]
    assert set(updates["src"]) == {"loss/Mean", "accuracy/Mean"} and len(updates) == 8


def test_demo_profiles_ten_training_steps(tmp_path):
    """The Profile tab of the demo: a Chrome trace of the first run's steps 1001-1010, timed."""
    import nbtb
    demo.train_run(tmp_path / "run_lr_001", 0.01, steps=1020, profile=True)
    lg = nbtb.load(str(tmp_path))
    assert list(lg.profiles[["run", "session", "format"]].itertuples(index=False, name=None)) == [
        ("run_lr_001", "demo", "trace_json")]
    p = lg.profile("run_lr_001")
    assert p.steps["step"].tolist() == list(range(*demo.PROFILED))
    inner = p.events[p.events["cat"] == "cpu_op"]
    assert sorted(set(inner["name"])) == ["evaluate", "forward_and_backward", "sample_batch", "sgd_update"]
    assert (inner["dur"] > 0).all() and (inner["step"] >= demo.PROFILED[0]).all()
    assert p.overview().verdict == "cpu-bound"
