"""`SummaryWriter`: writes event files TensorBoard reads, with torch.utils.tensorboard's method names.

Encodings follow what torch / tensorboardX write (FORMATS.md §3): scalars as `simple_value`,
histograms as `HistogramProto`, images and audio as the legacy `Summary.Image` / `Summary.Audio`,
text as a string tensor of the text plugin, hparams as the three hparams plugin values.
"""

from __future__ import annotations

import io
import itertools
import os
import socket
import struct
import threading
import time
import wave
import zlib
from typing import Any, Mapping

import numpy as np

from . import live, records
from .proto import event_pb2, plugins_pb2, summary_pb2
from .tensors import from_numpy

_file_counter = itertools.count()


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an HxW, HxWx1, HxWx3 or HxWx4 uint8 array (zlib, no dependency)."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, None]
    height, width, channels = image.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV of float samples in [-1, 1] (shape [n] or [n, channels])."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _image_hwc(image: Any, dataformats: str) -> np.ndarray:
    array = _to_numpy(image)
    fmt = dataformats.upper()
    if array.ndim == 2 and fmt in ("HW", "CHW", "HWC"):
        fmt = "HW"
    if fmt == "HW":
        array = array[:, :, None]
    elif fmt == "CHW":
        array = np.transpose(array, (1, 2, 0))
    elif fmt != "HWC":
        raise ValueError(f"dataformats {dataformats!r}: use CHW, HWC or HW")
    if array.dtype != np.uint8:  # floats are in [0, 1], as torch expects
        array = (np.clip(array.astype(np.float64), 0, 1) * 255 + 0.5).astype(np.uint8)
    return array


def _grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    n, h, w, c = images.shape
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    grid = np.zeros((nrows * h, ncols * w, c), dtype=images.dtype)
    for i, img in enumerate(images):
        r, col = divmod(i, ncols)
        grid[r * h : (r + 1) * h, col * w : (col + 1) * w] = img
    return grid


class SummaryWriter:
    """Writes `events.out.tfevents.<secs>.<host>.<pid>.<n>` into `log_dir`; thread-safe.

    Records are buffered in memory and written on `flush()` (every `flush_secs` too, at the next
    write after that much time) and on `close()`. Usable as a context manager.
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: float = 120, filename_suffix: str = "") -> None:
        if log_dir is None:
            log_dir = os.path.join("runs", time.strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname() + comment)
        self.log_dir = os.fspath(log_dir)
        os.makedirs(self.log_dir, exist_ok=True)
        self._lock = threading.Lock()
        self._flush_secs = flush_secs
        self._last_flush = time.monotonic()
        name = "events.out.tfevents.%010d.%s.%d.%d%s" % (
            int(time.time()), socket.gethostname(), os.getpid(), next(_file_counter), filename_suffix)
        self.path = os.path.join(self.log_dir, name)
        self._file = open(self.path, "ab")
        self._pending: list[bytes] = []
        self._children: dict[str, SummaryWriter] = {}
        self._closed = False
        self._write_event(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))
        if purge_step is not None:
            self._write_event(event_pb2.Event(wall_time=time.time(), step=purge_step,
                                              session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)))
        self.flush()

    # ---- plumbing --------------------------------------------------------------------------
    def get_logdir(self) -> str:
        return self.log_dir

    def _write_event(self, event: event_pb2.Event) -> None:
        data = records.encode(event.SerializeToString())
        with self._lock:
            if self._closed:
                raise ValueError(f"SummaryWriter for {self.log_dir} is closed")
            self._pending.append(data)
            due = time.monotonic() - self._last_flush >= self._flush_secs
        if due:
            self.flush()

    def _summary(self, value: summary_pb2.Summary.Value, step: int | None, walltime: float | None) -> None:
        event = event_pb2.Event(wall_time=time.time() if walltime is None else walltime, step=int(step or 0))
        event.summary.value.append(value)
        self._write_event(event)

    def flush(self) -> None:
        with self._lock:
            wrote = bool(self._pending)
            if wrote:
                self._file.write(b"".join(self._pending))
                self._pending.clear()
            if not self._closed:
                self._file.flush()
            self._last_flush = time.monotonic()
        for child in list(self._children.values()):
            child.flush()
        if wrote:
            live.poke(self.log_dir)  # displayed dashboards of this logdir refresh now

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        with self._lock:
            self._closed = True
            self._file.close()
        for child in self._children.values():
            child.close()

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- summaries -------------------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False, double_precision: bool = False) -> None:
        value = float(_to_numpy(scalar_value))
        if new_style or double_precision:
            meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
            tensor = from_numpy(np.float64(value) if double_precision else np.float32(value))
            v = summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)
        else:
            v = summary_pb2.Summary.Value(tag=tag, simple_value=value)
        self._summary(v, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: Mapping[str, Any], global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Each key is its own run, `<log_dir>/<main_tag>_<key>`, with tag `main_tag` (as torch does)."""
        for key, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + key)
            child = self._children.get(path)
            if child is None:
                child = self._children[path] = SummaryWriter(path, flush_secs=self._flush_secs)
            child.add_scalar(main_tag, value, global_step, walltime)

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None, bins: str | int = "tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        array = _to_numpy(values).astype(np.float64).reshape(-1)
        if array.size == 0:
            raise ValueError(f"add_histogram({tag!r}): no values")
        if bins == "tensorflow":
            bins = 30
        counts, edges = np.histogram(array, bins=bins)
        histo = summary_pb2.HistogramProto(
            min=float(array.min()), max=float(array.max()), num=float(array.size), sum=float(array.sum()),
            sum_squares=float(np.dot(array, array)), bucket_limit=edges[1:].tolist(), bucket=counts.tolist())
        self._summary(summary_pb2.Summary.Value(tag=tag, histo=histo), global_step, walltime)

    def add_histogram_raw(self, tag: str, min: float, max: float, num: float, sum: float, sum_squares: float,
                          bucket_limits: Any, bucket_counts: Any, global_step: int | None = None,
                          walltime: float | None = None) -> None:
        histo = summary_pb2.HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                                           bucket_limit=list(bucket_limits), bucket=list(bucket_counts))
        self._summary(summary_pb2.Summary.Value(tag=tag, histo=histo), global_step, walltime)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None, walltime: float | None = None,
                  dataformats: str = "CHW") -> None:
        hwc = _image_hwc(img_tensor, dataformats)
        height, width, channels = hwc.shape
        image = summary_pb2.Summary.Image(height=height, width=width, colorspace=channels,
                                          encoded_image_string=encode_png(hwc))
        self._summary(summary_pb2.Summary.Value(tag=tag, image=image), global_step, walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None, walltime: float | None = None,
                   dataformats: str = "NCHW") -> None:
        """A batch of images, tiled into one grid image as torch does."""
        batch = _to_numpy(img_tensor)
        inner = dataformats.upper().replace("N", "", 1)
        tiles = np.stack([_image_hwc(img, inner) for img in batch])
        self.add_image(tag, _grid(tiles), global_step, walltime, dataformats="HWC")

    def add_text(self, tag: str, text_string: str, global_step: int | None = None, walltime: float | None = None) -> None:
        meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name="text", content=plugins_pb2.TextPluginData(version=0).SerializeToString()))
        tensor = from_numpy(np.array([text_string], dtype=object))
        self._summary(summary_pb2.Summary.Value(tag=tag + "/text_summary", tensor=tensor, metadata=meta),
                      global_step, walltime)

    def add_audio(self, tag: str, snd_tensor: Any, global_step: int | None = None, sample_rate: int = 44100,
                  walltime: float | None = None) -> None:
        samples = _to_numpy(snd_tensor).astype(np.float64)
        samples = samples.reshape(-1) if samples.ndim == 2 and samples.shape[0] == 1 else samples
        data = encode_wav(samples, sample_rate)
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        audio = summary_pb2.Summary.Audio(sample_rate=float(sample_rate), num_channels=channels,
                                          length_frames=len(samples), encoded_audio_string=data,
                                          content_type="audio/wav")
        self._summary(summary_pb2.Summary.Value(tag=tag, audio=audio), global_step, walltime)

    def add_hparams(self, hparam_dict: Mapping[str, Any], metric_dict: Mapping[str, float],
                    hparam_domain_discrete: Mapping[str, list] | None = None, run_name: str | None = None,
                    global_step: int | None = None) -> None:
        """As torch: a child run holding the experiment, the session's hparams and one scalar per metric."""
        from google.protobuf import struct_pb2

        def proto_value(v: Any) -> struct_pb2.Value:
            if isinstance(v, bool):
                return struct_pb2.Value(bool_value=v)
            if isinstance(v, (int, float, np.integer, np.floating)):
                return struct_pb2.Value(number_value=float(v))
            return struct_pb2.Value(string_value=str(v))

        types = {bool: plugins_pb2.DATA_TYPE_BOOL, str: plugins_pb2.DATA_TYPE_STRING}
        infos = []
        for name, v in hparam_dict.items():
            kind = types.get(type(v), plugins_pb2.DATA_TYPE_FLOAT64)
            info = plugins_pb2.HParamInfo(name=name, type=kind)
            if hparam_domain_discrete and name in hparam_domain_discrete:
                info.domain_discrete.values.extend(proto_value(x) for x in hparam_domain_discrete[name])
            infos.append(info)
        experiment = plugins_pb2.Experiment(
            hparam_infos=infos,
            metric_infos=[plugins_pb2.MetricInfo(name=plugins_pb2.MetricName(tag=k)) for k in metric_dict])
        start = plugins_pb2.SessionStartInfo(start_time_secs=time.time())
        for name, v in hparam_dict.items():
            start.hparams[name].CopyFrom(proto_value(v))
        end = plugins_pb2.SessionEndInfo(status=plugins_pb2.STATUS_SUCCESS, end_time_secs=time.time())
        run_dir = os.path.join(self.log_dir, run_name or str(time.time()))
        with SummaryWriter(run_dir) as child:
            for tag, data in (("_hparams_/experiment", plugins_pb2.HParamsPluginData(version=0, experiment=experiment)),
                              ("_hparams_/session_start_info", plugins_pb2.HParamsPluginData(version=0, session_start_info=start)),
                              ("_hparams_/session_end_info", plugins_pb2.HParamsPluginData(version=0, session_end_info=end))):
                meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
                    plugin_name="hparams", content=data.SerializeToString()))
                child._summary(summary_pb2.Summary.Value(tag=tag, metadata=meta), 0, None)
            for key, value in metric_dict.items():
                child.add_scalar(key, value, global_step)

    def add_graph_def(self, graph_def: Any, global_step: int | None = None, walltime: float | None = None) -> None:
        """An `Event.graph_def` (what tf.summary.graph writes): a GraphDef message or its serialized bytes.

        Any GraphDef class serializes to the same bytes (nbtb's, TensorBoard's, TensorFlow's).
        torch's `add_graph(model, input)` traces a model; this writes a graph already built.
        """
        data = graph_def if isinstance(graph_def, (bytes, bytearray)) else graph_def.SerializeToString()
        self._write_event(event_pb2.Event(wall_time=time.time() if walltime is None else walltime,
                                          step=int(global_step or 0), graph_def=bytes(data)))
