"""``%tensorboard``: TensorBoard's notebook magic, served by nbtb's inline dashboard.

Accepts TensorBoard's flags so existing notebooks keep working. Flags that only matter to a web
server (--port, --host, --bind_all, --path_prefix) are accepted and ignored with one line of
explanation; mistakes print a usage message instead of a traceback or SystemExit.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from typing import Any

SERVER_FLAGS = ("port", "host", "bind_all", "path_prefix")
USAGE = """usage: %tensorboard --logdir PATH [--reload_interval SECONDS]
       %tensorboard --logdir_spec NAME:PATH[,NAME2:PATH2...] [--reload_interval SECONDS]

Shows TensorBoard's dashboard inline (no server, no port).
  --logdir PATH            directory holding event files (runs are its subdirectories)
  --logdir_spec SPEC       several logdirs; runs are prefixed by NAME/
  --reload_interval SECS   re-read new events every SECS seconds (default 5, 0 = off)
  --samples_per_plugin S   accepted for compatibility; nbtb keeps every point
  --port, --host, --bind_all, --path_prefix   accepted and ignored (no server needed)"""


class UsageError(Exception):
    """A bad %tensorboard command line; the message is shown to the user as is."""


class _Parser(argparse.ArgumentParser):
    # argparse exits the process on errors and on --help; a magic must never do that.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"%tensorboard: {message}\n\n{USAGE}")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise UsageError(USAGE)


def _parser() -> _Parser:
    p = _Parser(prog="%tensorboard", add_help=False, allow_abbrev=False)
    p.add_argument("-h", "--help", action="store_true")
    p.add_argument("--logdir")
    p.add_argument("--logdir_spec")
    p.add_argument("--reload_interval", type=float, default=5.0)
    p.add_argument("--samples_per_plugin", default=None)
    p.add_argument("--port")
    p.add_argument("--host")
    p.add_argument("--bind_all", action="store_true")
    p.add_argument("--path_prefix")
    return p


@dataclass
class MagicArgs:
    source: str | list[tuple[str, str]]
    reload_interval: float = 5.0
    samples_per_plugin: str | None = None
    notes: list[str] = field(default_factory=list)  # lines to print before the dashboard


def parse_args(line: str) -> MagicArgs:
    """Parse a ``%tensorboard`` line; raises UsageError with the text to show."""
    from .widgets.multi import parse_logdir_spec

    try:
        argv = shlex.split(line)
    except ValueError as exc:  # e.g. an unbalanced quote
        raise UsageError(f"%tensorboard: {exc}\n\n{USAGE}") from None
    ns = _parser().parse_args(argv)
    if ns.help:
        raise UsageError(USAGE)
    if ns.logdir and ns.logdir_spec:
        raise UsageError(f"%tensorboard: give --logdir or --logdir_spec, not both\n\n{USAGE}")
    if not ns.logdir and not ns.logdir_spec:
        raise UsageError(f"%tensorboard: --logdir is required\n\n{USAGE}")
    if ns.reload_interval < 0:
        raise UsageError(f"%tensorboard: --reload_interval must be >= 0\n\n{USAGE}")
    try:
        source = ns.logdir if ns.logdir else parse_logdir_spec(ns.logdir_spec)
    except ValueError as exc:
        raise UsageError(f"%tensorboard: {exc}\n\n{USAGE}") from None
    notes = []
    ignored = [f"--{f}" for f in SERVER_FLAGS if getattr(ns, f) not in (None, False)]
    if ignored:
        notes.append(f"nbtb: ignoring {', '.join(ignored)}: the dashboard is drawn in the notebook, "
                     "no server or port is needed.")
    if ns.samples_per_plugin is not None:
        notes.append("nbtb: --samples_per_plugin is informational only: nbtb keeps every point.")
    return MagicArgs(source, ns.reload_interval, ns.samples_per_plugin, notes)


def tensorboard_magic(line: str) -> Any:
    """The ``%tensorboard`` line magic: display a dashboard, or print why not."""
    from IPython.display import display

    from .widgets.dashboard import FrontEndNotBuiltError
    from .widgets.launch import open_dashboard

    try:
        args = parse_args(line)
    except UsageError as exc:
        print(exc)
        return None
    for note in args.notes:
        print(note)
    try:
        dash = open_dashboard(args.source, reload_interval=args.reload_interval)
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"%tensorboard: {exc}\n\n{USAGE}")
        return None
    except FrontEndNotBuiltError as exc:  # an install problem, not the user's command line
        print(f"%tensorboard: {exc}")
        return None
    dash.samples_per_plugin = args.samples_per_plugin  # kept for reference only
    display(dash)
    return None


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext nbtb``: register ``%tensorboard`` (replacing TensorBoard's, if loaded)."""
    ip.register_magic_function(tensorboard_magic, magic_kind="line", magic_name="tensorboard")
    _warm_up()


def _warm_up() -> None:
    """Import the widget stack and read the front-end bundle now, as an extension's loading
    does, rather than inside the first ``%tensorboard`` (~0.15 s, mostly anywidget's import)."""
    from .widgets import dashboard, fallback  # noqa: F401

    try:
        dashboard._bundle()
    except dashboard.FrontEndNotBuiltError:
        pass  # %tensorboard reports it, with how to build
