"""nbtb: TensorBoard inside the notebook.

`nbtb.load("logs").scalars` gives a logdir's data as pandas frames; `%load_ext nbtb` then
`%tensorboard --logdir logs` (or `nbtb.show("logs")`) renders the dashboards inline, with no server.
"""

from .logdir import DataLossWarning, Logdir, Refresh, load
from .graphs import Graph
from .writer import SummaryWriter
from .callback import Callback
from .profiles import Overview, Profile

__version__ = "0.1.0"


def __getattr__(name: str):
    # The widget stack (anywidget, ipywidgets) is imported only when a widget is asked for, so
    # `nbtb.load` stays light in scripts and worker processes.
    if name in ("Dashboard", "show"):
        from . import widgets

        return getattr(widgets, name)
    if name in ("ImageGrid", "TextView", "AudioView", "HParamsTable", "PrCurvesView",
                "HistogramView", "DistributionView", "GraphView", "ProfileView"):  # one tab alone
        from .widgets import panels

        return getattr(panels, name)
    raise AttributeError(f"module 'nbtb' has no attribute {name!r}")


def save_report(source, path, **options):
    """Write ``source`` (a logdir path/URL or ``nbtb.load(...)``) as one self-contained interactive
    HTML file; see ``nbtb.report.save_report`` for the options. Returns a ``ReportInfo``."""
    from .report import save_report as save

    return save(source, path, **options)


def load_ipython_extension(ipython) -> None:
    """`%load_ext nbtb`: registers `%tensorboard`."""
    from .magic import load_ipython_extension as register

    register(ipython)


__all__ = ["load", "Logdir", "Graph", "Profile", "Overview", "Callback", "Refresh", "DataLossWarning",
           "SummaryWriter", "show", "Dashboard",
           "save_report",
           "load_ipython_extension"]
