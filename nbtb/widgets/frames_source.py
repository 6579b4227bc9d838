"""Frames the user already has, seen through the loader's interface, so any dashboard or panel
can show them: ``nbtb.ImageGrid(lg.images[lg.images.step > 100])``, ``nbtb.show(my_scalars)``.

``FrameSource`` answers what a dashboard asks of a ``nbtb.Logdir`` (``runs``, ``tags``, the
frames, ``scalar_series``, ``rows_for``, ``refresh``) from a frame or a few frames of the loader's
shapes; it never changes them. Frames do not grow, so ``refresh`` always reports nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..frames import EMPTY_SCALARS, _empty, _ROW_COLUMNS

# What identifies a frame's kind among the loader's frames (checked in this order).
_SIGNATURES = (
    ("histograms", {"left", "right", "count"}),
    ("images", {"width", "height", "data"}),
    ("audio", {"sample_rate", "data"}),
    ("tensors", {"plugin", "value"}),
    ("text", {"text"}),
    ("scalars", {"step", "value"}),
)
KINDS = ("scalars", *_ROW_COLUMNS, "hparams")
HPARAMS_TAG = "_hparams_/session_start_info"  # the tag the loader's .tags gives a session's hparams


def kind_of(frame: pd.DataFrame) -> str:
    """Which of the loader's frames ``frame`` looks like, from its columns."""
    columns = set(map(str, frame.columns))
    if "run" not in columns:
        raise ValueError(f"a frame to show needs a 'run' column; this one has {sorted(columns)}")
    for kind, needed in _SIGNATURES:
        if needed <= columns and {"tag", "step"} <= columns:
            return kind
    if "step" not in columns and "tag" not in columns:
        return "hparams"  # one row per run, a column per hparam and metric
    raise ValueError("not one of nbtb's frames (scalars, histograms, images, audio, text, tensors, "
                     f"hparams): columns {sorted(columns)}")


def is_frames(source: Any) -> bool:
    """Whether ``source`` is a frame, or a mapping / list of frames, rather than a logdir."""
    if isinstance(source, pd.DataFrame):
        return True
    if isinstance(source, Mapping):
        return bool(source) and all(isinstance(v, pd.DataFrame) for v in source.values())
    if isinstance(source, (list, tuple)):
        return bool(source) and all(isinstance(v, pd.DataFrame) for v in source)
    return False


class FrameSource:
    """A read-only, loader-shaped view over frames of the loader's shapes."""

    purge = True

    def __init__(self, frames: pd.DataFrame | Mapping[str, pd.DataFrame] | Iterable[pd.DataFrame],
                 label: str = "frames") -> None:
        if isinstance(frames, pd.DataFrame):
            frames = [frames]
        if isinstance(frames, Mapping):
            pairs = list(frames.items())
            for kind, frame in pairs:
                if kind not in KINDS:
                    raise ValueError(f"unknown frame kind {kind!r}; expected one of {', '.join(KINDS)}")
                if kind != kind_of(frame):
                    raise ValueError(f"the frame given as {kind!r} looks like {kind_of(frame)!r}")
        else:
            pairs = [(kind_of(f), f) for f in frames]
        self._frames: dict[str, pd.DataFrame] = {}
        for kind, frame in pairs:
            if kind in self._frames:
                raise ValueError(f"two {kind} frames given; concatenate them first")
            self._frames[kind] = frame
        self.path = label
        self._series: dict[str, dict[tuple[str, str], np.ndarray]] = {}

    def __repr__(self) -> str:
        return f"<nbtb.FrameSource {', '.join(f'{k}: {len(f)} rows' for k, f in self._frames.items())}>"

    def first_kind(self) -> str:
        """The tab that shows the first frame given (PR curves for a tensors frame)."""
        kind = next(iter(self._frames))
        return "pr_curves" if kind == "tensors" else kind

    # ---- the loader's interface ------------------------------------------------------------
    @property
    def runs(self) -> list[str]:
        return sorted({str(r) for f in self._frames.values() for r in pd.unique(f["run"].astype(str))})

    def _frame(self, kind: str) -> pd.DataFrame:
        frame = self._frames.get(kind)
        if frame is not None:
            return frame
        if kind == "scalars":
            return EMPTY_SCALARS.copy()
        if kind == "hparams":
            return pd.DataFrame({"run": pd.Series([], dtype=object)})
        return _empty(_ROW_COLUMNS[kind])

    scalars = property(lambda self: self._frame("scalars"))
    histograms = property(lambda self: self._frame("histograms"))
    images = property(lambda self: self._frame("images"))
    audio = property(lambda self: self._frame("audio"))
    text = property(lambda self: self._frame("text"))
    tensors = property(lambda self: self._frame("tensors"))
    hparams = property(lambda self: self._frame("hparams"))

    @property
    def tags(self) -> pd.DataFrame:
        """``run, kind, tag, count``, as ``Logdir.tags`` gives it."""
        parts = []
        for kind, frame in self._frames.items():
            if kind == "hparams":
                runs = frame["run"].astype(str)
                parts.append(pd.DataFrame({"run": runs, "kind": "hparams", "tag": HPARAMS_TAG, "count": 1}))
            elif len(frame):
                counts = (frame.assign(run=frame["run"].astype(str), tag=frame["tag"].astype(str))
                          .groupby(["run", "tag"], sort=True).size().reset_index(name="count"))
                parts.append(counts.assign(kind=kind)[["run", "kind", "tag", "count"]])
        if not parts:
            return pd.DataFrame({"run": pd.Series([], dtype=object), "kind": pd.Series([], dtype=object),
                                 "tag": pd.Series([], dtype=object), "count": np.zeros(0, np.int64)})
        out = pd.concat(parts, ignore_index=True)
        out["count"] = out["count"].astype(np.int64)
        return out.sort_values(["run", "kind", "tag"], ignore_index=True)

    def _rows(self, kind: str, run: str, tag: str) -> np.ndarray:
        """Row positions of one (run, tag) of a frame, in its order (indexed once per frame)."""
        index = self._series.get(kind)
        if index is None:
            frame = self._frame(kind)
            keys = zip(frame["run"].astype(str), frame["tag"].astype(str))
            groups: dict[tuple[str, str], list[int]] = {}
            for i, key in enumerate(keys):
                groups.setdefault(key, []).append(i)
            index = self._series[kind] = {k: np.asarray(v, dtype=np.int64) for k, v in groups.items()}
        return index.get((run, tag), np.zeros(0, np.int64))

    def scalar_series(self, run: str, tag: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        frame = self._frame("scalars")
        rows = self._rows("scalars", run, tag)
        return (frame["step"].to_numpy(np.int64)[rows], frame["wall_time"].to_numpy(np.float64)[rows],
                frame["value"].to_numpy(np.float64)[rows])

    def rows_for(self, kind: str, tag: str, runs: Iterable[str]) -> pd.DataFrame:
        frame = self._frame(kind)
        rows = np.concatenate([self._rows(kind, r, tag) for r in runs] or [np.zeros(0, np.int64)])
        return frame.iloc[np.sort(rows)].reset_index(drop=True)

    def refresh(self) -> _NothingNew:
        return _NothingNew()


@dataclass
class _NothingNew:
    """What ``refresh`` returns: frames do not grow."""

    new_runs: list[str] = field(default_factory=list)
    reset: set[tuple[str, str]] = field(default_factory=set)
    scalars: pd.DataFrame | None = None

    def __bool__(self) -> bool:
        return False


__all__ = ["FrameSource", "is_frames", "kind_of"]
