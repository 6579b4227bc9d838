"""Several logdirs shown as one, for ``%tensorboard --logdir_spec name:path,name2:path2``.

TensorBoard prefixes every run of a named logdir with ``name/``; this wrapper does the same on top
of one loader per logdir and exposes the subset of the loader API the dashboard uses (``path``,
``runs``, ``scalars``, ``tags``, ``scalar_series``, ``refresh``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def parse_logdir_spec(spec: str) -> list[tuple[str, str]]:
    """``"a:logs/a,b:/tmp/b"`` -> ``[("a", "logs/a"), ("b", "/tmp/b")]``.

    Like TensorBoard, an entry without a name (or a URI such as ``s3://bucket/x``, or a Windows
    drive path) keeps its runs unprefixed.
    """
    out: list[tuple[str, str]] = []
    for entry in spec.split(","):
        entry = entry.strip()
        if not entry:
            continue
        if ":" in entry and not _URI.match(entry) and not _DRIVE.match(entry):
            name, path = entry.split(":", 1)
            out.append((name.strip(), path.strip()))
        else:
            out.append(("", entry))
    if not out:
        raise ValueError(f"empty --logdir_spec: {spec!r}")
    return out


def prefixed(name: str, run: str) -> str:
    if not name:
        return run
    return name if run == "." else f"{name}/{run}"


@dataclass
class MultiRefresh:
    """Same fields as ``nbtb.Refresh``, with prefixed run names."""

    new_runs: list[str] = field(default_factory=list)
    scalars: pd.DataFrame | None = None
    reset: set[tuple[str, str]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.new_runs or self.reset or (self.scalars is not None and len(self.scalars)))


class MultiLogdir:
    """Read-only union of named loaders; run names are ``name/run``."""

    def __init__(self, parts: list[tuple[str, Any]], label: str) -> None:
        self.parts = parts  # [(name, loader)]
        self.path = label
        self._scalars: pd.DataFrame | None = None

    @property
    def runs(self) -> list[str]:
        return sorted(prefixed(name, r) for name, lg in self.parts for r in lg.runs)

    @property
    def scalars(self) -> pd.DataFrame:
        if self._scalars is None:
            self._scalars = _concat([_rename(name, lg.scalars) for name, lg in self.parts])
        return self._scalars

    @property
    def tags(self) -> pd.DataFrame:
        return _concat([_rename(name, lg.tags) for name, lg in self.parts])

    def scalar_series(self, run: str, tag: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lg, inner = self._resolve(run)
        return lg.scalar_series(inner, tag)

    def rows_for(self, kind: str, tag: str, runs: list[str]) -> pd.DataFrame:
        """One tag's rows of `kind` (histograms, images, …) for some runs, each from its loader."""
        frames = []
        for name, lg in self.parts:
            inner = [r for r in lg.runs if prefixed(name, r) in set(runs)]
            if inner:
                frames.append(_rename(name, lg.rows_for(kind, tag, inner)))
        return _concat(frames)

    def refresh(self) -> MultiRefresh:
        out = MultiRefresh()
        frames = []
        for name, lg in self.parts:
            r = lg.refresh()
            out.new_runs += [prefixed(name, x) for x in r.new_runs]
            out.reset |= {(prefixed(name, run), tag) for run, tag in r.reset}
            frames.append(_rename(name, r.scalars))
        out.scalars = _concat(frames)
        if out:
            self._scalars = None  # rebuilt lazily from the (updated) loaders
        return out

    def _resolve(self, run: str) -> tuple[Any, str]:
        for name, lg in self.parts:
            for inner in lg.runs:
                if prefixed(name, inner) == run:
                    return lg, inner
        raise KeyError(run)


def _rename(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    if not name or frame is None or "run" not in frame:
        return frame
    frame = frame.copy()
    frame["run"] = [prefixed(name, r) for r in frame["run"].astype(str)]
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    for col in ("run", "tag"):
        if col in out:
            out[col] = out[col].astype(str).astype("category")
    return out
