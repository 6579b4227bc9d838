"""What TensorBoard's own Python reader makes of a logdir: the reference our frames must equal.

Uses `plugin_event_multiplexer` (TensorBoard's loader, with its data_compat migration) keeping
every event (size guidance 0), so each plugin's tensors can be compared value by value.
"""

from __future__ import annotations

import numpy as np
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.util import tensor_util

PLUGINS = ("scalars", "histograms", "images", "audio", "text", "pr_curves", "hparams", "custom_scalars",
           "graph_keras_model", "graph_run_metadata_graph")


def read(logdir: str, purge: bool = True) -> dict[str, dict[tuple[str, str], list[tuple[int, float, np.ndarray]]]]:
    """{plugin: {(run, tag): [(step, wall_time, array), ...]}} in TensorBoard's order."""
    mux = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={p: 0 for p in PLUGINS}, purge_orphaned_data=purge)
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    out: dict[str, dict] = {}
    for plugin in PLUGINS:
        for run, tags in mux.PluginRunToTagToContent(plugin).items():
            for tag in tags:
                events = mux.Tensors(run, tag)
                out.setdefault(plugin, {})[(run, tag)] = [
                    (e.step, e.wall_time, tensor_util.make_ndarray(e.tensor_proto)) for e in events]
    return out
