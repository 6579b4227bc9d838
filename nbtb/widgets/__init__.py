"""nbtb's notebook widgets: the inline dashboard and its helpers."""

from .dashboard import Dashboard, FrontEndNotBuiltError
from .launch import show

__all__ = ["Dashboard", "FrontEndNotBuiltError", "show"]
