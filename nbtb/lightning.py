"""`nbtb.lightning.Logger`: a PyTorch Lightning logger writing through nbtb (and so live into dashboards).

Importing this module does not import Lightning; the class is built on first use, as a subclass of
`lightning.pytorch.loggers.Logger` (or `pytorch_lightning.loggers.Logger`).
"""

from __future__ import annotations

import os
from typing import Any

_cls: type | None = None


def _base() -> type:
    try:
        from lightning.pytorch.loggers import Logger as Base
    except ImportError:
        try:
            from pytorch_lightning.loggers import Logger as Base
        except ImportError as exc:
            raise ImportError("nbtb.lightning.Logger needs PyTorch Lightning: pip install lightning") from exc
    return Base


def _build() -> type:
    from .callback import Callback

    Base = _base()

    class Logger(Base):  # type: ignore[misc, valid-type]
        """Logs metrics and hyperparameters to `<save_dir>/<name>/version_<n>` through `nbtb.Callback`."""

        def __init__(self, save_dir: str | os.PathLike = "logs", name: str = "lightning", version: int | str | None = None,
                     flush_interval: float = 0.05) -> None:
            super().__init__()
            self._save_dir = os.fspath(save_dir)
            self._name = name
            self._version = version
            self._flush_interval = flush_interval
            self._callback: Callback | None = None

        @property
        def name(self) -> str:
            return self._name

        @property
        def version(self) -> int | str:
            if self._version is None:
                root = os.path.join(self._save_dir, self._name)
                taken = [d for d in os.listdir(root) if d.startswith("version_")] if os.path.isdir(root) else []
                numbers = [int(d.split("_", 1)[1]) for d in taken if d.split("_", 1)[1].isdigit()]
                self._version = max(numbers, default=-1) + 1
            return self._version

        @property
        def save_dir(self) -> str:
            return self._save_dir

        @property
        def log_dir(self) -> str:
            version = self.version if isinstance(self.version, str) else f"version_{self.version}"
            return os.path.join(self._save_dir, self._name, version)

        @property
        def experiment(self) -> Callback:
            if self._callback is None:
                self._callback = Callback(self.log_dir, flush_interval=self._flush_interval)
            return self._callback

        def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
            for tag, value in metrics.items():
                if tag == "epoch":
                    continue
                try:
                    self.experiment.scalar(tag, float(value), int(step or 0))
                except (TypeError, ValueError):
                    continue

        def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
            params = dict(vars(params) if hasattr(params, "__dict__") and not isinstance(params, dict) else params or {})
            flat = {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in params.items()}
            if flat:
                self.experiment._writer(None).add_hparams(flat, {}, run_name=".")

        def save(self) -> None:
            if self._callback is not None:
                self._callback.flush()

        def finalize(self, status: str) -> None:
            if self._callback is not None:
                self._callback.close()
                self._callback = None

    return Logger


def __getattr__(name: str) -> Any:
    global _cls
    if name == "Logger":
        if _cls is None:
            _cls = _build()
        return _cls
    raise AttributeError(f"module 'nbtb.lightning' has no attribute {name!r}")
