"""Find every profile under a logdir: the `Logdir.profiles` frame (run, session, host, path, format).

- TF / JAX: `<run>/plugins/profile/<session>/<host>.xplane.pb` → format "xplane"; JAX's
  `<host>.trace.json.gz` beside it → "trace_json". run = the directory holding `plugins/` (relative
  to the logdir, "." for the logdir itself, as `Logdir.runs`), session = the `<session>` directory.
- PyTorch: `<run>/<worker>.<time_ns>.pt.trace.json[.gz]` (tensorboard_trace_handler; torch-tb-
  profiler's pattern `^(.*?)(\\.\\d+)?\\.pt\\.trace\\.json(\\.gz)?$`) → "pytorch"; run = its directory,
  session = the file's stem `<worker>.<time_ns>` (one session per file), host = `<worker>`.
- Any other `*.trace.json[.gz]` → "trace_json", run = its directory, session = host = its stem.
`path` is the file's path as storage reads it (the logdir joined with the relative path; for remote
logdirs the fsspec path without protocol).

A directory holding only profiles is reported here, not added to `Logdir.runs` (which lists the
runs with event files, as TensorBoard's scalar dashboards do): `.runs` is unchanged by profiles.
"""

from __future__ import annotations

import os
import posixpath
import re

import pandas as pd

from ..storage import LocalStorage

PROFILE_COLUMNS = ["run", "session", "host", "path", "format"]
_TORCH = re.compile(r"^(.*?)(\.\d+)?\.pt\.trace\.json(\.gz)?$")
_XPLANE = re.compile(r"^(.*)\.xplane\.pb$")
_TRACE_JSON = re.compile(r"^(.*)\.trace\.json(\.gz)?$")


def profile_files(storage, root: str) -> list[str]:
    """Every file under `root` whose name looks like a profile."""
    if isinstance(storage, LocalStorage):
        found = []
        for directory, dirs, files in os.walk(root, followlinks=True):
            dirs.sort()
            found.extend(os.path.join(directory, f) for f in sorted(files) if _is_profile(f))
        return found
    paths = storage.fs.find(storage._strip(root))
    return sorted(p for p in paths if _is_profile(posixpath.basename(p)))


def _is_profile(name: str) -> bool:
    return name.endswith((".xplane.pb", ".trace.json", ".trace.json.gz"))


def discover(storage, root: str) -> pd.DataFrame:
    """The profiles frame, sorted by run, then session oldest → newest, then host."""
    rows = []
    for path in profile_files(storage, root):
        row = classify(storage.relpath(path, root), path)
        if row is not None:
            rows.append(row)
    # sessions oldest → newest within each run, so "newest" is the run's last session
    rows.sort(key=lambda r: (r[0], r[5], r[2], r[4]))
    return pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(PROFILE_COLUMNS)})


def classify(rel: str, path: str) -> list | None:
    """[run, session, host, path, format, sort key] for one file, by its path relative to the logdir."""
    parts = rel.split("/")
    name = parts[-1]
    in_plugin = len(parts) >= 4 and parts[-4] == "plugins" and parts[-3] == "profile"
    if in_plugin and (m := _XPLANE.match(name) or _TRACE_JSON.match(name)):
        run = "/".join(parts[:-4]) or "."
        session = parts[-2]
        fmt = "xplane" if name.endswith(".xplane.pb") else "trace_json"
        return [run, session, m.group(1), path, fmt, _natural(session)]
    run = "/".join(parts[:-1]) or "."
    if m := _TORCH.match(name):
        worker, stamp = m.group(1), m.group(2)
        session = worker + (stamp or "")
        # newest = latest time_ns, whatever the worker is called
        key = [(0, int(stamp[1:]), "")] if stamp else _natural(session)
        return [run, session, worker, path, "pytorch", key]
    if m := _TRACE_JSON.match(name):
        return [run, m.group(1), m.group(1), path, "trace_json", _natural(m.group(1))]
    return None


def _natural(text: str) -> list:
    """Numbers compared as numbers (session dirs are `YYYY_MM_DD_HH_MM_SS`, or anything)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]
