"""One tab of the dashboard as a widget of its own, for one's own layouts (ipywidgets boxes).

``nbtb.ImageGrid(logdir)`` is an ``nbtb.Dashboard`` opened on the Images tab with the side panel and
the tab bar hidden (the synced ``panel`` trait): the same lazy binary data plane, run colours and
theme. ``selected_runs`` and ``tag_filter`` choose what it shows; ``source`` is a logdir path or a
loaded ``nbtb.Logdir``.
"""

from __future__ import annotations

from typing import Any

import traitlets as t

from .dashboard import Dashboard


class _Panel(Dashboard):
    panel = t.Unicode("").tag(sync=True)
    _TAB = ""

    def __init__(self, source: Any, **traits: Any) -> None:
        traits.setdefault("reload_interval", 0)
        super().__init__(source, tab=self._TAB, panel=self._TAB, **traits)


class ImageGrid(_Panel):
    """The Images tab alone: a card per tag × run with a step slider."""

    _TAB = "images"


class TextView(_Panel):
    """The Text tab alone: sanitized markdown per tag × run with a step slider."""

    _TAB = "text"


class AudioView(_Panel):
    """The Audio tab alone: a player per tag × run with a step slider."""

    _TAB = "audio"


class HParamsTable(_Panel):
    """The HParams table alone; ticking rows sets ``selected_runs``."""

    _TAB = "hparams"


class PrCurvesView(_Panel):
    """The PR curves tab alone."""

    _TAB = "pr_curves"


class HistogramView(_Panel):
    """The Histograms tab alone: a ridgeline per tag × run (``histogram_mode="overlay"`` to overlay)."""

    _TAB = "histograms"


class DistributionView(_Panel):
    """The Distributions tab alone: TensorBoard's percentile bands per tag × run."""

    _TAB = "distributions"


class GraphView(_Panel):
    """The Graphs tab alone: TensorBoard's op graph (or Keras conceptual graph) of ``run``
    (default: the first run with a graph), grouped by name scope, with search and details."""

    _TAB = "graphs"
    graph_run = t.Unicode("").tag(sync=True)

    def __init__(self, source: Any, run: str | None = None, **traits: Any) -> None:
        super().__init__(source, graph_run=run or "", **traits)
        from .graph import Prefetch, first_graph

        having = sorted({r for runs in self.catalog["graphs"].values() for r in runs})
        if run and run not in having:
            self.close()
            raise LookupError(f"run {run!r} has no graph in {self.logdir}; runs with graphs: {having or 'none'}")
        first = first_graph(self.catalog, self.graph_run)
        # Build the reply while the browser loads the widget: it asks for this graph first.
        self._graph_prefetch = Prefetch(self._source, self._lock, *first) if first else None


class ProfileView(_Panel):
    """The Profile tab alone: a trace timeline (lanes per process / thread / GPU stream, zoom, pan,
    range selection), the memory curve and the step-time overview of one profile.

    ``run`` and ``session`` choose the profile (default: the first one ``source.profiles`` lists).
    """

    _TAB = "profile"
    profile_run = t.Unicode("").tag(sync=True)
    profile_session = t.Unicode("").tag(sync=True)

    def __init__(self, source: Any, run: str | None = None, session: str | None = None,
                 **traits: Any) -> None:
        super().__init__(source, profile_run=run or "", profile_session=session or "", **traits)
        if not self.profile_run or not self.profile_session:
            cat = self.catalog.get("profile", {})
            pairs = [(r, s) for s, runs in cat.items() for r in runs
                     if (not run or r == run) and (not session or s == session)]
            if not pairs:
                raise ValueError(f"no profile for run={run!r} session={session!r} in {self.logdir}"
                                 f" (profiles found: {cat or 'none'})")
            self.profile_run, self.profile_session = pairs[0]
        from .profile import prefetch

        # the browser asks for this profile as soon as the view is shown: read it meanwhile
        self._profile_prefetch = prefetch(self, self.profile_run, self.profile_session)


__all__ = ["ImageGrid", "TextView", "AudioView", "HParamsTable", "PrCurvesView", "HistogramView",
           "DistributionView", "GraphView", "ProfileView"]
