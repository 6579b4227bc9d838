"""The ``nbtb`` command line.

    nbtb ls LOGDIR                       what a logdir holds: runs, kinds, tags, counts, steps, times
    nbtb csv LOGDIR --tag T [--run R]    a tidy table of scalars (run, tag, step, wall_time, value)
    nbtb export LOGDIR -o report.html    one self-contained, interactive HTML report (the dashboard,
                                         data embedded, opens offline); --static: Vega-Lite charts

Errors are one line on stderr (``nbtb: error: ...``) with exit code 2 for bad input (missing
logdir, unknown tag, unavailable format) and 1 for anything else; ``NBTB_DEBUG=1`` shows the
traceback instead. Loads that take longer than a second print a progress line on stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import threading
import time
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd

PROGRESS_AFTER = 1.0  # seconds before a load says it is working (NBTB_PROGRESS_AFTER overrides)
CSV_COLUMNS = ["run", "tag", "step", "wall_time", "value"]


class CliError(Exception):
    """A user-facing error: printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# ---- parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from . import __version__, report

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="nbtb", formatter_class=fmt,
        description="Read TensorBoard logdirs without TensorBoard: list what they hold, export scalars.",
        epilog="examples:\n  nbtb ls runs/\n  nbtb csv runs/ --tag loss/train > loss.csv\n"
               "  nbtb csv s3://bucket/exp --tag loss/train --run lr_0.1 -o loss.csv\n\n"
               "LOGDIR is a local directory or any fsspec URL (s3://, gs://, memory://).")
    parser.add_argument("--version", action="version", version=f"nbtb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ls = sub.add_parser(
        "ls", formatter_class=fmt, help="list runs, kinds, tags, counts, step and time ranges",
        description="List what a logdir holds: one row per run, kind and tag with the number of "
                    "points, the step range and the wall-time range (UTC).",
        epilog="examples:\n  nbtb ls runs/\n  nbtb ls runs/ --summary\n  nbtb ls runs/ --kind scalars --run 'lr_'")
    ls.add_argument("logdir", metavar="LOGDIR", help="the logdir (a path or an fsspec URL)")
    ls.add_argument("--summary", action="store_true", help="one row per run instead of per tag")
    ls.add_argument("--kind", action="append", metavar="KIND",
                    help="only this kind (scalars, histograms, images, audio, text, tensors, hparams, "
                         "graphs); repeatable")
    ls.add_argument("--run", metavar="REGEX", help="only runs matching this regex")
    ls.add_argument("--tag", metavar="REGEX", help="only tags matching this regex")
    ls.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    ls.set_defaults(func=cmd_ls)

    csv = sub.add_parser(
        "csv", formatter_class=fmt, help="write scalars as a tidy CSV (or Parquet) table",
        description="Write the scalar points of the given tags as a tidy table with the columns "
                    "run, tag, step, wall_time (seconds since the epoch) and value, to stdout or a "
                    "file. Values keep full float64 precision; NaN and inf are written as nan/inf.",
        epilog="examples:\n  nbtb csv runs/ --tag loss/train\n"
               "  nbtb csv runs/ --tag loss/train --tag loss/val --run lr_0.1 -o loss.csv\n"
               "  nbtb csv runs/ --tag loss/train -o loss.csv.gz    (compressed by extension)\n"
               "  nbtb csv runs/ --tag loss/train -o loss.parquet   (needs pyarrow)")
    csv.add_argument("logdir", metavar="LOGDIR", help="the logdir (a path or an fsspec URL)")
    csv.add_argument("--tag", action="append", required=True, metavar="TAG",
                     help="a scalar tag, exact name; repeatable")
    csv.add_argument("--run", action="append", metavar="RUN", help="only this run, exact name; repeatable")
    csv.add_argument("-o", "--output", metavar="FILE",
                     help="write here instead of stdout; .parquet writes Parquet, anything else CSV")
    csv.add_argument("--no-purge", action="store_true",
                     help="keep points TensorBoard would discard after a restart")
    csv.add_argument("-q", "--quiet", action="store_true", help="no progress line or summary")
    csv.set_defaults(func=cmd_csv)

    export = sub.add_parser(
        "export", formatter_class=fmt, help="write one self-contained, interactive HTML report",
        description="Write the dashboard as one HTML file that opens in any browser with no server and "
                    "no network: the same Scalars, Histograms, Distributions, Images, Text, Audio, PR "
                    "curves and HParams tabs as in the notebook, with smoothing, run selection, zoom and "
                    "step sliders working, the front end inlined and the data embedded. Caps keep it "
                    "small: longer scalar series are reduced per pixel column (min/max kept, spikes "
                    "survive), only the latest images and a spread of histogram steps are kept. The "
                    "report names the logdir by its last path component only (--include-paths for the "
                    "full path). Prints the file's size. --static writes the older report of static "
                    "Vega-Lite scalar charts instead (needs vl-convert-python).",
        epilog="examples:\n  nbtb export runs/ -o report.html\n"
               "  nbtb export runs/ -o loss.html --tag '^loss/' --run 'lr_0.1' --max-points 5000\n"
               "  nbtb export runs/ -o small.html --max-points 500 --max-images 3 --max-histograms 10\n"
               "  nbtb export runs/ -o charts.html --static --smoothing 0.6")
    export.add_argument("logdir", metavar="LOGDIR", help="the logdir (a path or an fsspec URL)")
    export.add_argument("-o", "--output", metavar="FILE", required=True, help="the HTML file to write")
    export.add_argument("--tag", action="append", metavar="REGEX",
                        help="only tags matching this regex (searched); repeatable: any of them")
    export.add_argument("--run", action="append", metavar="REGEX",
                        help="only runs matching this regex (searched); repeatable: any of them")
    export.add_argument("--smoothing", type=float, default=0.6, metavar="W",
                        help="initial smoothing weight in [0, 1) (default 0.6, TensorBoard's)")
    export.add_argument("--x", choices=["step", "relative", "wall_time"], default="step",
                        help="initial horizontal axis")
    export.add_argument("--max-points", type=int, default=None, metavar="N",
                        help=f"scalar points kept per tag and run (default {report.MAX_POINTS}); with "
                             "--static: over all series (default 20000)")
    export.add_argument("--max-images", type=int, default=report.MAX_IMAGES, metavar="N",
                        help=f"latest steps kept per image, audio and PR-curve series (default "
                             f"{report.MAX_IMAGES})")
    export.add_argument("--max-histograms", type=int, default=report.MAX_HISTOGRAMS, metavar="N",
                        help=f"histogram steps kept per series, evenly spread (default {report.MAX_HISTOGRAMS})")
    export.add_argument("--max-text", type=int, default=report.MAX_TEXT, metavar="N",
                        help=f"latest text steps kept per series (default {report.MAX_TEXT})")
    export.add_argument("--include-paths", action="store_true",
                        help="show the logdir's full path in the report (default: its last component)")
    export.add_argument("--static", action="store_true",
                        help="static Vega-Lite scalar charts instead of the interactive dashboard")
    export.add_argument("--columns", type=int, default=3, metavar="N", help="with --static: charts per row")
    export.add_argument("-q", "--quiet", action="store_true", help="no progress line or summary")
    export.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    warnings.showwarning = _show_warning
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"nbtb: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("nbtb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nbtb csv ... | head`: the reader left; say nothing
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        if os.environ.get("NBTB_DEBUG"):
            raise
        print(f"nbtb: error: {type(exc).__name__}: {exc} (NBTB_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"nbtb: warning: {message}", file=sys.stderr)


# ---- loading with a progress line -----------------------------------------------------------
def run_with_progress(what: str, work: Callable[[], Any], quiet: bool = False) -> Any:
    """Run ``work`` in a thread; if it takes over ``PROGRESS_AFTER`` s, say so on stderr (on a
    terminal an updating line with the elapsed time, elsewhere one line and a 'done' line)."""
    after = float(os.environ.get("NBTB_PROGRESS_AFTER", PROGRESS_AFTER))
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # re-raised in the main thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="nbtb-load", daemon=True)
    start = time.monotonic()
    thread.start()
    thread.join(after)
    shown = False
    if thread.is_alive() and not quiet:
        shown = True
        tty = sys.stderr.isatty()
        spinner = "|/-\\"
        i = 0
        if not tty:
            print(f"nbtb: {what} …", file=sys.stderr, flush=True)
        while thread.is_alive():
            if tty:
                elapsed = time.monotonic() - start
                print(f"\rnbtb: {what} {spinner[i % 4]} {elapsed:.1f}s", end="", file=sys.stderr, flush=True)
                i += 1
            thread.join(0.2)
    elif thread.is_alive():
        thread.join()
    if shown:
        end = "\r\x1b[K" if sys.stderr.isatty() else ""
        print(f"{end}nbtb: {what}: done in {time.monotonic() - start:.1f}s", file=sys.stderr, flush=True)
    if "error" in result:
        raise result["error"]
    return result["value"]


def _load(path: str, **kwargs: Any):
    from .logdir import load

    try:
        return load(path, **kwargs)
    except FileNotFoundError as exc:
        raise CliError(str(exc) if "logdir" in str(exc) else f"logdir not found: {path}") from None
    except ImportError as exc:  # e.g. s3:// without s3fs
        raise CliError(f"cannot open {path}: {exc}") from None


# ---- nbtb ls --------------------------------------------------------------------------------
def cmd_ls(args: argparse.Namespace) -> int:
    import re

    def work():
        ld = _load(args.logdir)
        return ld, listing(ld)

    ld, table = run_with_progress(f"reading {args.logdir}", work, args.quiet)
    if not ld.runs:
        print(f"nbtb: no event files under {args.logdir}", file=sys.stderr)
        return 0
    try:
        if args.run:
            table = table[table["run"].str.contains(re.compile(args.run), regex=True)]
        if args.tag:
            table = table[table["tag"].str.contains(re.compile(args.tag), regex=True)]
    except re.error as exc:
        raise CliError(f"bad regex: {exc}") from None
    if args.kind:
        table = table[table["kind"].isin(args.kind)]
    if args.summary:
        table = summarize(table, ld.runs if not args.run and not args.tag and not args.kind else None)
        print(format_table(table, ["run", "kinds", "tags", "points", "steps", "time (UTC)"],
                           right={"tags", "points"}))
    else:
        print(format_table(table, ["run", "kind", "tag", "count", "steps", "time (UTC)"], right={"count"}))
    return 0


def listing(ld: Any) -> pd.DataFrame:
    """One row per (run, kind, tag): count, first/last step, first/last wall time."""
    tags = ld.tags
    table = tags.astype({"run": str, "kind": str, "tag": str}).copy()
    table["step_min"] = np.nan
    table["step_max"] = np.nan
    table["wall_min"] = np.nan
    table["wall_max"] = np.nan
    if table.empty:
        return table
    table = table.set_index(["run", "kind", "tag"])
    for kind in table.index.get_level_values("kind").unique():
        frame = getattr(ld, kind, None)
        if not isinstance(frame, pd.DataFrame) or frame.empty or not {"step", "wall_time"} <= set(frame):
            continue
        g = frame.groupby([frame["run"].astype(str), frame["tag"].astype(str)], sort=False)
        agg = pd.DataFrame({"step_min": g["step"].min(), "step_max": g["step"].max(),
                            "wall_min": g["wall_time"].min(), "wall_max": g["wall_time"].max()})
        agg.index = pd.MultiIndex.from_tuples([(r, kind, t) for r, t in agg.index], names=table.index.names)
        common = agg.index.intersection(table.index)
        table.loc[common, agg.columns] = agg.loc[common].to_numpy(dtype=np.float64)
    table = table.reset_index()
    table["steps"] = [_range(a, b, "{:.0f}") for a, b in zip(table["step_min"], table["step_max"])]
    table["time (UTC)"] = [_time_range(a, b) for a, b in zip(table["wall_min"], table["wall_max"])]
    return table


def summarize(table: pd.DataFrame, all_runs: list[str] | None) -> pd.DataFrame:
    rows = []
    runs = all_runs if all_runs is not None else list(dict.fromkeys(table["run"]))
    for run in runs:
        part = table[table["run"] == run]
        rows.append({
            "run": run,
            "kinds": ",".join(sorted(part["kind"].unique())) or "-",
            "tags": part["tag"].nunique(),
            "points": int(part["count"].sum()),
            "steps": _range(part["step_min"].min(), part["step_max"].max(), "{:.0f}"),
            "time (UTC)": _time_range(part["wall_min"].min(), part["wall_max"].max()),
        })
    return pd.DataFrame(rows, columns=["run", "kinds", "tags", "points", "steps", "time (UTC)"])


def _range(lo: float, hi: float, fmt: str) -> str:
    if lo is None or hi is None or not np.isfinite(lo) or not np.isfinite(hi):
        return "-"
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}–{fmt.format(hi)}"


def _time_range(lo: float, hi: float) -> str:
    if lo is None or hi is None or not np.isfinite(lo) or not np.isfinite(hi):
        return "-"
    a = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(lo))
    b = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(hi))
    if a == b:
        return a
    return f"{a} → {b[11:] if a[:10] == b[:10] else b}"


def format_table(table: pd.DataFrame, columns: list[str], right: set[str] = frozenset()) -> str:
    cells = [[str(c) for c in columns]] + [[str(v) for v in row] for row in table[columns].itertuples(index=False)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = []
    for row in cells:
        parts = [v.rjust(w) if c in right else v.ljust(w) for v, w, c in zip(row, widths, columns)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


# ---- nbtb csv -------------------------------------------------------------------------------
def cmd_csv(args: argparse.Namespace) -> int:
    out = args.output
    parquet = bool(out) and out.lower().endswith(".parquet")
    if parquet and importlib.util.find_spec("pyarrow") is None:
        raise CliError("writing Parquet needs pyarrow (pip install pyarrow); or write CSV: -o FILE.csv")
    tags, runs = list(dict.fromkeys(args.tag)), list(dict.fromkeys(args.run or []))

    def work():
        ld = _load(args.logdir, tag=tags, run=runs or None, purge=not args.no_purge)
        return ld, ld.scalars

    ld, df = run_with_progress(f"reading {args.logdir}", work, args.quiet)
    missing_runs = [r for r in runs if r not in ld.runs]
    if missing_runs:
        every = _load(args.logdir).runs
        raise CliError(f"no run named {', '.join(map(repr, missing_runs))} in {args.logdir}; runs: "
                       + _some(every))
    found = set(df["tag"].astype(str).unique()) if len(df) else set()
    missing = [t for t in tags if t not in found]
    if missing:
        everything = _load(args.logdir).tags
        scalar_tags = sorted(set(everything.loc[everything["kind"] == "scalars", "tag"].astype(str)))
        where = f" for run {', '.join(runs)}" if runs else ""
        raise CliError(f"no scalar tag {', '.join(map(repr, missing))}{where} in {args.logdir}; scalar tags: "
                       + _some(scalar_tags))
    df = df[CSV_COLUMNS].copy()
    df["run"] = df["run"].astype(str)
    df["tag"] = df["tag"].astype(str)
    if parquet:
        df.to_parquet(out, index=False)
    elif out:
        df.to_csv(out, index=False, float_format=None)
    else:
        df.to_csv(sys.stdout, index=False, lineterminator="\n")
        sys.stdout.flush()
    if out and not args.quiet:
        size = os.path.getsize(out) if os.path.exists(out) else 0
        print(f"nbtb: wrote {len(df)} rows to {out} ({_size(size)})", file=sys.stderr)
    return 0


# ---- nbtb export ----------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    import re

    if not 0.0 <= args.smoothing <= 1.0:
        raise CliError(f"--smoothing must be in [0, 1], not {args.smoothing}")
    for flag, value, least in (("--max-points", args.max_points, 100 if args.static else 16),
                               ("--max-images", args.max_images, 1), ("--max-histograms", args.max_histograms, 1),
                               ("--max-text", args.max_text, 1)):
        if value is not None and value < least:
            raise CliError(f"{flag} must be at least {least}")
    try:  # several --tag/--run: any of them
        tag = re.compile("|".join(f"(?:{t})" for t in args.tag)) if args.tag else None
        run = re.compile("|".join(f"(?:{r})" for r in args.run)) if args.run else None
    except re.error as exc:
        raise CliError(f"bad regex: {exc}") from None
    if args.static:
        return _export_static(args, tag, run)

    from .report import MAX_POINTS, save_report
    from .widgets.dashboard import FrontEndNotBuiltError

    def work():
        ld = _load(args.logdir, run=run)
        if not ld.runs:
            raise CliError(f"no event files under {args.logdir}"
                           + (f" for runs matching {' or '.join(map(repr, args.run))}" if args.run else ""))
        return save_report(
            ld, args.output, runs=run.pattern if run is not None else None,
            tags=tag.pattern if tag is not None else None,
            max_points=args.max_points or MAX_POINTS, max_images=args.max_images,
            max_histograms=args.max_histograms, max_text=args.max_text, include_paths=args.include_paths,
            traits={"smoothing": args.smoothing, "x_axis": args.x})

    try:
        info = run_with_progress(f"exporting {args.logdir}", work, args.quiet)
    except ValueError as exc:  # nothing matched, bad caps: the message says what
        raise CliError(str(exc)) from None
    except FrontEndNotBuiltError as exc:
        raise CliError(str(exc), code=1) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}", code=1) from None
    if not args.quiet:
        extra = f"; {'; '.join(info.capped)}" if info.capped else ""
        print(f"nbtb: wrote {args.output} ({_size(info.bytes)}; {info.runs} runs, {info.tags} tags{extra})",
              file=sys.stderr)
    return 0


def _export_static(args: argparse.Namespace, tag: Any, run: Any) -> int:
    if importlib.util.find_spec("vl_convert") is None:
        raise CliError("nbtb export --static inlines the Vega libraries from vl-convert-python, which is "
                       "not installed (pip install vl-convert-python)")

    def work():
        ld = _load(args.logdir, run=run)
        return ld, report_html(ld, tag=tag, smoothing=args.smoothing, x=args.x,
                               max_points=args.max_points or 20_000, columns=args.columns,
                               name=_basename(args.logdir))

    ld, html = run_with_progress(f"exporting {args.logdir}", work, args.quiet)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(html)
    if not args.quiet:
        print(f"nbtb: wrote {args.output} ({_size(os.path.getsize(args.output))})", file=sys.stderr)
    return 0


def report_html(ld: Any, *, tag: Any = None, smoothing: float = 0.6, x: str = "step",
                max_points: int = 20_000, columns: int = 3, name: str = "logdir") -> str:
    """One self-contained HTML page: the scalar charts of ``ld`` with Vega, Vega-Lite and
    vega-embed inlined (no network when opened)."""
    import io
    from html import escape

    from .plot import plot, scalar_tags

    if not scalar_tags(ld, tag):
        raise CliError(f"no scalar series to export in {name}"
                       + (f" matching --tag {tag.pattern!r}" if tag is not None else ""))
    try:
        chart = plot(ld, tag=tag, smoothing=smoothing, x=x, max_points=max_points, columns=columns)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    shown = list(scalar_tags(ld, tag))
    head = f"nbtb · {name}" if len(shown) > 1 else f"{shown[0]} · nbtb · {name}"
    chart = chart.properties(title={"text": head, "anchor": "start",
                                    "subtitle": f"{len(ld.runs)} runs · {len(shown)} scalar tags · "
                                                f"smoothing {smoothing:g} · {stamp}"})
    buf = io.StringIO()
    chart.save(buf, format="html", inline=True, embed_options={"actions": False, "renderer": "svg"},
               json_kwds={"indent": None, "separators": (",", ":")})  # compact embedded data
    page = buf.getvalue()
    return page.replace("<head>", f"<head>\n  <title>nbtb · {escape(name)}</title>", 1)


def _basename(path: str) -> str:
    return os.path.basename(str(path).rstrip("/\\")) or str(path)


def _some(names: list[str], n: int = 20) -> str:
    if not names:
        return "none"
    return ", ".join(names[:n]) + (f", … ({len(names) - n} more)" if len(names) > n else "")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


if __name__ == "__main__":
    sys.exit(main())
