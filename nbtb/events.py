"""Event payloads → typed values, with TensorBoard's read-time migration (FORMATS.md §3).

`RunEvents` accumulates everything one run's files hold, column-wise, in read order. Every record
gets a sequence number (its position in the run's read order) so that purging and "first metadata
wins" can be decided later, on whole columns, exactly as TensorBoard decides them event by event.
Scalars arrive in bulk from bulk.py; everything else goes through protobuf here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
from google.protobuf.message import DecodeError

from . import tensors
from .crc import masked_crc
from .bulk import ScalarBlock, NoTemplate, read_varint, decode_scalars, single_value
from .proto import event_pb2, summary_pb2
from .records import HEADER, Framing, payload_crc_ok

SESSION_START = event_pb2.SessionLog.START


@dataclass
class TagInfo:
    """What the first record of a tag said about it (TensorBoard keeps the first metadata)."""

    seq: int
    plugin: str
    content: bytes = b""
    display_name: str = ""
    description: str = ""


class Deferred(NamedTuple):
    """A histogram, image or audio record set aside undecoded (its CRC already checked).

    `kind`, `tag` and `step` come from a peek, so `.tags` counts it without decoding. `payload`
    is None for local files: the bytes are read again (`at`, `length`; CRC checked again) when
    its frame or card is asked for, so a loaded logdir does not hold every image in memory.
    """

    seq: int
    payload: bytes | None
    source: str  # the file
    offset: int  # the record's byte offset in it (for messages)
    kind: str
    tag: str
    step: int
    at: int = 0  # the payload's byte offset in the file
    length: int = 0


ReadRanges = Callable[[str, list[tuple[int, int]]], list[bytes]]  # (file, [(start, size)]) -> bytes


def compact_ints(values: np.ndarray) -> np.ndarray:
    """int32 when every value fits (nearly always for steps and read order), else unchanged:
    a loaded logdir keeps its points in 24 bytes instead of 32 until the frame is built."""
    if values.dtype != np.int32 and len(values) and -2**31 <= values.min() and values.max() < 2**31:
        return values.astype(np.int32)
    return values


@dataclass
class ScalarChunk:
    """Points of one tag, all from `simple_value`s or all from tensors (whose kind the tag's plugin decides).

    `step` and `seq` may be int32 or int64 (see `compact_ints`); readers widen them as needed.
    """

    tag: int  # code into RunEvents.tag_names
    tensor: bool
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    seq: np.ndarray


@dataclass
class RunEvents:
    tag_names: list[str] = field(default_factory=list)
    tag_codes: dict[str, int] = field(default_factory=dict)
    tag_info: dict[str, TagInfo] = field(default_factory=dict)
    scalars: list[ScalarChunk] = field(default_factory=list)
    points: dict[tuple[int, bool], list[tuple]] = field(default_factory=dict)  # not yet chunked
    deferred: list[Deferred] = field(default_factory=list)  # histogram/image/audio records not decoded yet
    rows: dict[str, list[tuple]] = field(default_factory=dict)  # kind -> (tag, step, wall, seq, ...)
    starts: list[tuple[int, int]] = field(default_factory=list)  # (seq, step) of SessionLog.START
    # Graph payloads stay serialized until `Logdir.graph` asks (graphs.py), each with the
    # (file, byte offset) of its record so that a damaged one can be named then.
    graphs: list[tuple[int, float, bytes, tuple[str, int]]] = field(default_factory=list)
    run_metadata: list[tuple[str, int, float, bytes, tuple[str, int]]] = field(default_factory=list)
    graph_summaries: dict[int, tuple[str, int]] = field(default_factory=dict)  # seq -> where, graph_* plugins
    location: tuple[str, int] = ("", 0)  # the record being decoded
    file_version: str = ""
    next_seq: int = 0
    records: int = 0

    def code(self, tag: str) -> int:
        code = self.tag_codes.get(tag)
        if code is None:
            code = self.tag_codes[tag] = len(self.tag_names)
            self.tag_names.append(tag)
        return code

    def note_metadata(self, tag: str, seq: int, metadata: summary_pb2.SummaryMetadata | None) -> None:
        known = self.tag_info.get(tag)
        if known is not None and known.seq <= seq:
            return
        if metadata is None:
            if known is None:
                self.tag_info[tag] = TagInfo(seq, "")
            return
        self.tag_info[tag] = TagInfo(
            seq,
            metadata.plugin_data.plugin_name,
            metadata.plugin_data.content,
            metadata.display_name,
            metadata.summary_description,
        )

    def plugin(self, tag: str) -> str:
        info = self.tag_info.get(tag)
        return info.plugin if info else ""

    def add_point(self, tag: int, tensor: bool, step: int, wall: float, value: float, seq: int) -> None:
        """A scalar read one event at a time; `flush_points` turns these into chunks."""
        self.points.setdefault((tag, tensor), []).append((step, wall, value, seq))

    def flush_points(self) -> None:
        for (tag, tensor), points in self.points.items():
            step, wall, value, seq = zip(*points)
            self.scalars.append(ScalarChunk(tag, tensor, compact_ints(np.array(step, np.int64)),
                                            np.array(wall, np.float64), np.array(value, np.float64),
                                            compact_ints(np.array(seq, np.int64))))
        self.points.clear()

    def add_row(self, kind: str, row: tuple) -> None:
        self.rows.setdefault(kind, []).append(row)


def read_records(run: RunEvents, buf: bytes | memoryview, framing: Framing, source: str = "",
                 base_offset: int = 0, keep_payloads: bool = True) -> list[tuple[int, str]]:
    """Decode the framed records of one buffer into `run`; return (offset, problem) of bad payloads.

    `keep_payloads=False` (local files) sets histogram/image/audio records aside by position only.

    The framing may leave payload CRCs unchecked (`records.frame(verify=False)`): they are checked
    here, in bulk for stacked scalars and one by one for the rest, before anything is decoded.
    """
    b = np.frombuffer(buf, dtype=np.uint8)
    base = run.next_seq
    count = len(framing.offsets)
    run.next_seq += count
    run.records += count
    blocks, rest, corrupt = decode_scalars(b, framing.offsets, framing.lengths)
    for block in blocks:
        _add_block(run, block, base)
    ok = payload_crc_ok(b, framing.offsets[rest], framing.lengths[rest])
    corrupt = np.concatenate([corrupt, rest[~ok]])
    rest = rest[ok]
    problems = [(int(framing.offsets[i]) - HEADER, "corrupt record payload (CRC mismatch)") for i in corrupt.tolist()]
    for i in rest.tolist():
        start = int(framing.offsets[i])
        length = int(framing.lengths[i])
        payload = bytes(buf[start : start + length])
        peek = _peek_media(payload)
        if peek is not None:
            run.deferred.append(Deferred(base + i, payload if keep_payloads else None, source,
                                         base_offset + start - HEADER, *peek, base_offset + start, length))
            continue
        run.location = (source, base_offset + start - HEADER)
        problem = _decode(run, payload, base + i)
        if problem:
            problems.append((start - HEADER, problem))
    run.flush_points()
    return problems


def _decode(run: RunEvents, payload: bytes, seq: int) -> str | None:
    try:
        _add_event(run, event_pb2.Event.FromString(payload), seq)
    except (DecodeError, ValueError, UnicodeDecodeError, struct.error) as exc:
        return f"undecodable event ({exc.__class__.__name__}: {exc})"
    return None


def decode_deferred(run: RunEvents, kind: str | None = None, tag: str | None = None,
                    read_ranges: ReadRanges | None = None) -> list[tuple[str, int, str]]:
    """Decode the histogram/image/audio records set aside by `read_records` (only those of `kind`
    and `tag` when given, so one card's data costs one series' decoding); (path, offset, problem).

    Records kept by position are read again with `read_ranges`, all of a file's in one call, and
    their CRC checked again: a file changed since it was read loses those records, with a problem.
    """
    chosen = [d for d in run.deferred
              if (kind is None or d.kind == kind) and (tag is None or d.tag == tag)]
    if not chosen:
        return []
    taken = {d.seq for d in chosen}
    run.deferred[:] = [d for d in run.deferred if d.seq not in taken]
    payloads = _payloads(chosen, read_ranges)
    problems = []
    for d in sorted(chosen):
        payload = payloads.get(d.seq)
        run.location = (d.source, d.offset)  # where a graph record found here came from
        problem = "record changed on disk since it was read (CRC mismatch)" if payload is None \
            else _decode(run, payload, d.seq)
        if problem:
            problems.append((d.source, d.offset, problem))
    run.flush_points()
    return problems


def _payloads(items: list[Deferred], read_ranges: ReadRanges | None) -> dict[int, bytes]:
    """seq -> payload bytes of set-aside records, re-reading (and re-checking) those kept by position."""
    out = {d.seq: d.payload for d in items if d.payload is not None}
    by_file: dict[str, list[Deferred]] = {}
    for d in items:
        if d.payload is None:
            by_file.setdefault(d.source, []).append(d)
    for source, group in by_file.items():
        if read_ranges is None:
            raise ValueError(f"{source}: records set aside by position need a reader")
        try:
            blobs = read_ranges(source, [(d.at, d.length + 4) for d in group])  # payload + its CRC
        except OSError:
            continue  # the file is gone: each record is reported as lost
        for d, blob in zip(group, blobs):
            payload = blob[:d.length]
            if len(blob) == d.length + 4 and int.from_bytes(blob[d.length:], "little") == masked_crc(payload):
                out[d.seq] = payload
    return out


_MEDIA_KEYS = {0x22: "images", 0x2A: "histograms", 0x32: "audio"}  # Summary.Value image, histo, audio


def _peek_media(p: bytes) -> tuple[str, str, int] | None:
    """(kind, tag, step) when a payload holds exactly one histogram, image or audio value.

    Such a record cannot touch the scalars, so its protobuf decoding waits until a frame of its
    kind is asked for; `.tags` counts it from this peek alone.
    """
    try:
        _, step_span, pos = single_value(p)
        n = len(p)
        tag = b""
        if pos < n and p[pos] == 0x0A:
            size, pos = read_varint(p, pos + 1)
            tag, pos = p[pos : pos + size], pos + size
        kind = _MEDIA_KEYS.get(p[pos]) if pos < n else None
        if kind is None or not tag:
            return None  # (a value named only by node_name goes the slow way)
        step = read_varint(p, step_span[0])[0] if step_span else 0
        step = step - (1 << 64) if step >= 1 << 63 else step
        return kind, tag.decode("utf-8"), step
    except (NoTemplate, IndexError, UnicodeDecodeError):
        return None


def _add_block(run: RunEvents, block: ScalarBlock, base: int) -> None:
    seq = block.records.astype(np.int64) + base
    metadata = None
    if block.metadata is not None:
        metadata = summary_pb2.SummaryMetadata.FromString(block.metadata)
    run.note_metadata(block.tag, int(seq[0]), metadata)
    run.scalars.append(ScalarChunk(run.code(block.tag), block.is_tensor, compact_ints(block.step), block.wall_time,
                                   block.value, compact_ints(seq)))


def _add_event(run: RunEvents, event: event_pb2.Event, seq: int) -> None:
    what = event.WhichOneof("what")
    if what == "summary":
        for value in event.summary.value:
            _add_value(run, value, event.step, event.wall_time, seq)
    elif what == "file_version":
        run.file_version = event.file_version
    elif what == "session_log":
        if event.session_log.status == SESSION_START:
            run.starts.append((seq, event.step))
    elif what == "graph_def":
        run.graphs.append((event.step, event.wall_time, event.graph_def, run.location))
    elif what == "tagged_run_metadata":
        tagged = event.tagged_run_metadata
        run.run_metadata.append((tagged.tag, event.step, event.wall_time, tagged.run_metadata, run.location))
    elif what == "meta_graph_def":
        run.add_row("tensors", (run.code("__meta_graph__"), event.step, event.wall_time, seq,
                                "graphs", np.array(event.meta_graph_def, dtype=object)))


def _image_format(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data.startswith(b"GIF8"):
        return "gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    return "unknown"


def _wav_sample_rate(data: bytes) -> float:
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) >= 28:
        return float(struct.unpack_from("<I", data, 24)[0])
    return float("nan")


def _legacy_histogram(h: summary_pb2.HistogramProto) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TensorBoard's Python migration: drop empty buckets at both ends, min/max as outer edges, float32."""
    counts = list(h.bucket)
    nonzero = [i for i, c in enumerate(counts) if c > 0]
    if not nonzero:
        empty = np.zeros(0)
        return empty, empty, empty
    s, e = nonzero[0], nonzero[-1]
    inner = list(h.bucket_limit[s:e])
    table = np.array([[h.min] + inner, inner + [h.max], counts[s : e + 1]], dtype=np.float32)
    table = table.astype(np.float64)
    return table[0], table[1], table[2]


def _text_of(array: np.ndarray) -> str:
    """One string is markdown as is; larger tensors become a markdown table, as TensorBoard renders them."""
    decode = np.vectorize(lambda x: x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x), otypes=[object])
    if array.ndim == 0 or array.size == 1:  # torch and tensorboardX write markdown as a [1] tensor
        return decode(array.reshape(())).item()
    while array.ndim > 2:
        array = array[(slice(None), slice(None)) + (0,) * (array.ndim - 2)]
    if array.ndim == 1:
        array = array[:, None]
    cells = decode(array) if array.size else array
    width = array.shape[1]
    lines = ["| " + " | ".join([" "] * width) + " |", "|" + "---|" * width]
    for row in cells:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines)


def _add_value(run: RunEvents, value: summary_pb2.Summary.Value, step: int, wall: float, seq: int) -> None:
    tag = value.tag or value.node_name
    kind = value.WhichOneof("value")
    run.note_metadata(tag, seq, value.metadata if value.HasField("metadata") else None)
    code = run.code(tag)
    if kind == "simple_value":
        run.add_point(code, False, step, wall, value.simple_value, seq)
    elif kind == "histo":
        run.add_row("histograms", (code, step, wall, seq, *_legacy_histogram(value.histo)))
    elif kind == "image":
        img = value.image
        data = img.encoded_image_string
        run.add_row("images", (code, step, wall, seq, 0, img.width, img.height, _image_format(data), data))
    elif kind == "audio":
        audio = value.audio
        run.add_row("audio", (code, step, wall, seq, 0, float(audio.sample_rate), audio.encoded_audio_string))
    elif kind == "tensor":
        _add_tensor(run, tag, code, tensors.to_numpy(value.tensor), step, wall, seq)
    elif kind is None and run.plugin(tag) == "hparams":
        run.add_row("hparams", (code, step, wall, seq, run.tag_info[tag].content))
    elif kind is None:
        run.add_row("tensors", (code, step, wall, seq, run.plugin(tag), np.zeros(0, np.float32)))
    else:  # obsolete_old_style_histogram: keep the bytes rather than drop them
        run.add_row("tensors", (code, step, wall, seq, "obsolete", np.array(value.obsolete_old_style_histogram, dtype=object)))


def _add_tensor(run: RunEvents, tag: str, code: int, array: np.ndarray, step: int, wall: float, seq: int) -> None:
    plugin = run.plugin(tag)
    if plugin.startswith("graph_"):  # Keras model JSON / RunMetadata: graphs.py reads them from the tensors rows
        run.graph_summaries[seq] = run.location
    if plugin == "scalars" and array.ndim == 0 and array.dtype != object:
        run.add_point(code, True, step, wall, float(array), seq)
    elif plugin == "histograms" and array.ndim == 2 and array.shape[1] == 3:
        table = array.astype(np.float64)
        run.add_row("histograms", (code, step, wall, seq, table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()))
    elif plugin == "images" and array.dtype == object and array.ndim == 1 and len(array) >= 2:
        width, height = int(array[0]), int(array[1])
        for index, data in enumerate(array[2:]):
            run.add_row("images", (code, step, wall, seq, index, width, height, _image_format(data), bytes(data)))
    elif plugin == "audio" and array.dtype == object and array.size:
        clips = array.reshape(-1, array.shape[-1]) if array.ndim >= 2 else array.reshape(-1, 1)
        for index, data in enumerate(clips[:, 0]):
            run.add_row("audio", (code, step, wall, seq, index, _wav_sample_rate(bytes(data)), bytes(data)))
    elif plugin == "text" and array.dtype == object:
        run.add_row("text", (code, step, wall, seq, _text_of(array)))
    elif plugin == "hparams":
        run.add_row("hparams", (code, step, wall, seq, run.tag_info[tag].content))
    else:
        run.add_row("tensors", (code, step, wall, seq, plugin, array))


def hparams_content(content: bytes) -> Any:
    from .proto import plugins_pb2

    return plugins_pb2.HParamsPluginData.FromString(content)
