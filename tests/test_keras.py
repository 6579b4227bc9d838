"""nbtb.Callback inside a real Keras 3 `model.fit` (torch backend, CPU): Keras' TensorBoard layout."""

from __future__ import annotations

import os

import numpy as np
import pytest


def test_fit_logs_the_keras_tensorboard_layout(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    import nbtb

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).random((64, 3)).astype("float32")
    history = model.fit(x, x.sum(1, keepdims=True), validation_split=0.25, epochs=3, batch_size=8, verbose=0,
                        callbacks=[nbtb.Callback(tmp_path / "run_a", update_freq=2)])
    lg = nbtb.load(tmp_path)
    assert lg.runs == ["run_a/train", "run_a/validation"]
    tags = lg.tags.groupby("run")["tag"].apply(set).to_dict()
    assert tags["run_a/train"] == {"epoch_loss", "epoch_mae", "epoch_learning_rate", "batch_loss", "batch_mae"}
    assert tags["run_a/validation"] == {"epoch_loss", "epoch_mae"}
    val = lg.scalars.query("run == 'run_a/validation' and tag == 'epoch_loss'")
    assert val["step"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(val["value"], history.history["val_loss"], rtol=1e-6)  # float32 on disk
    lr = lg.scalars.query("tag == 'epoch_learning_rate'")["value"]
    assert np.allclose(lr, 0.01)
