"""nbtb.lightning.Logger with a real PyTorch Lightning Trainer (CPU, torch 2.13)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_importing_nbtb_lightning_does_not_import_lightning():
    code = "import sys, nbtb, nbtb.lightning; assert not any(m.split('.')[0] in ('lightning', 'pytorch_lightning', 'torch') for m in sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_trainer_logs_through_nbtb(tmp_path):
    import lightning as L
    import torch

    import nbtb
    from nbtb.lightning import Logger

    class Tiny(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(3, 1)

        def training_step(self, batch, _):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.layer(x), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    torch.manual_seed(0)
    x = torch.randn(64, 3)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)
    logger = Logger(tmp_path, name="tiny")
    trainer = L.Trainer(max_epochs=2, logger=logger, log_every_n_steps=2, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
    trainer.fit(Tiny(), data)
    lg = nbtb.load(tmp_path)
    assert lg.runs == ["tiny/version_0"]
    loss = lg.scalars.query("tag == 'train_loss'")
    assert loss["step"].tolist() == list(range(1, 16, 2))  # every 2 of 16 optimizer steps
    assert loss["value"].iloc[-1] < loss["value"].iloc[0]
