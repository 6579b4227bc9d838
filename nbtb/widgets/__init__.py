"""nbtb's notebook widgets: the inline dashboard and its helpers."""

from .dashboard import Dashboard, FrontEndNotBuiltError
from .launch import show

__all__ = ["Dashboard", "FrontEndNotBuiltError", "show"]

from .panels import AudioView, HParamsTable, ImageGrid, PrCurvesView, TextView  # noqa: E402
from .panels import DistributionView, GraphView, HistogramView, ProfileView  # noqa: E402

__all__ += ["ImageGrid", "TextView", "AudioView", "HParamsTable", "PrCurvesView"]
__all__ += ["HistogramView", "DistributionView", "GraphView", "ProfileView"]
