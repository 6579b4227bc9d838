"""nbtb: TensorBoard inside the notebook.

`nbtb.load("logs").scalars` gives a logdir's data as pandas frames; `%load_ext nbtb` then
`%tensorboard --logdir logs` (or `nbtb.show("logs")`) renders the dashboards inline, with no server.
"""

from .logdir import DataLossWarning, Logdir, Refresh, load
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
                "HistogramView", "DistributionView", "ProfileView"):  # one tab alone
        from .widgets import panels

        return getattr(panels, name)
    raise AttributeError(f"module 'nbtb' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """`%load_ext nbtb`: registers `%tensorboard`."""
    from .magic import load_ipython_extension as register

    register(ipython)


__all__ = ["load", "Logdir", "Callback", "Profile", "Overview", "Refresh", "DataLossWarning", "SummaryWriter", "show", "Dashboard",
           "load_ipython_extension"]
