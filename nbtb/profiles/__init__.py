"""Profiler traces in a logdir: discovery (discover.py), readers (torch_trace.py, kineto_fast.py,
xplane.py), the `Profile` frames (profile.py) and the overview (overview.py)."""

from __future__ import annotations

import pandas as pd

from .discover import PROFILE_COLUMNS, discover
from .overview import Overview
from .profile import Profile

__all__ = ["Profile", "Overview", "discover", "open_profile", "select", "PROFILE_COLUMNS"]


def select(profiles: pd.DataFrame, run: str, session: str | None = None, host: str | None = None) -> pd.Series:
    """The row of `profiles` for run/session/host (session None = the newest, host None = the first).

    LookupError naming what was asked and listing what exists when nothing matches.
    """
    of_run = profiles[profiles["run"] == run]
    if of_run.empty:
        have = sorted(set(profiles["run"])) or ["(none)"]
        raise LookupError(f"no profile in run {run!r}; runs with profiles: {', '.join(map(repr, have))}")
    if session is None:
        session = of_run["session"].iloc[-1]
    of_session = of_run[of_run["session"] == session]
    if of_session.empty:
        have = list(dict.fromkeys(of_run["session"]))
        raise LookupError(f"no profile session {session!r} in run {run!r}; sessions: {', '.join(map(repr, have))}")
    rows = of_session if host is None else of_session[of_session["host"] == host]
    if rows.empty:
        have = list(dict.fromkeys(of_session["host"]))
        raise LookupError(f"no host {host!r} in run {run!r} session {session!r}; hosts: {', '.join(map(repr, have))}")
    # JAX writes both <host>.xplane.pb and <host>.trace.json.gz: the XSpace is the richer of the two
    rows = rows.assign(_pref=(rows["format"] != "xplane").astype(int)).sort_values(["host", "_pref"], kind="stable")
    return rows.iloc[0]


def open_profile(storage, row: pd.Series) -> Profile:
    """Read one profile file (`row` from the profiles frame). ValueError naming the file on bad input."""
    from .torch_trace import parse_trace_json
    from .xplane import parse_xspace

    path = row["path"]
    try:
        raw = storage.read_from(path, 0)
    except FileNotFoundError:
        raise FileNotFoundError(f"profile file vanished: {path}") from None
    if not raw:
        raise ValueError(f"{path}: empty profile file")
    if row["format"] == "xplane":
        trace = parse_xspace(raw, path)
    else:
        trace = parse_trace_json(raw, path)
    return Profile(trace, run=row["run"], session=row["session"], host=row["host"], path=path,
                   format=row["format"])
