"""Decode scalar events in bulk, without a protobuf object per event.

A scalar event is a tiny protobuf whose bytes differ from its neighbours' only in the wall time,
the step and the value: ``09 <wall f64> 10 <step varint> 2a L 0a L 0a L <tag> 15 <f32>`` for a
``simple_value``, or the same with a rank-0 tensor (and often its metadata) in place of ``15 <f32>``.
So payloads of equal length are stacked into a byte matrix; one payload is parsed by hand into a
*template* (where the variable fields sit, everything else is structure); every row whose structure
bytes equal the template's is decoded with a few numpy column operations. Rows that fit no template
(histograms, images, anything unusual) are left to the protobuf path in events.py, so nothing is
lost by being clever here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .crc import masked_crc_rows
from .records import FOOTER, stack, stored_crc

# TensorProto dtypes a scalar template can decode from fixed-width bytes or one varint.
_DT_FLOAT, _DT_DOUBLE, _DT_INT32, _DT_INT64, _DT_HALF, _DT_BFLOAT16 = 1, 2, 3, 9, 19, 14
_DT_UINT8, _DT_INT16, _DT_INT8, _DT_BOOL = 4, 5, 6, 10
_FIXED = {  # (dtype, field number) -> numpy dtype of the bytes
    (_DT_FLOAT, 4): "<f4", (_DT_DOUBLE, 4): "<f8", (_DT_INT32, 4): "<i4", (_DT_INT64, 4): "<i8",
    (_DT_HALF, 4): "<f2", (_DT_BFLOAT16, 4): "<u2", (_DT_INT16, 4): "<i2", (_DT_INT8, 4): "i1",
    (_DT_UINT8, 4): "u1", (_DT_BOOL, 4): "?",
    (_DT_FLOAT, 5): "<f4", (_DT_DOUBLE, 6): "<f8",
}
_VARINT_FIELDS = {7, 10, 11, 13}  # int_val, int64_val, bool_val, half_val: packed varints


class NoTemplate(Exception):
    pass


def read_varint(p: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    start = pos
    while True:
        if pos >= len(p) or pos - start > 9:
            raise NoTemplate
        byte = p[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7


@dataclass
class Template:
    wall: int | None  # offset of the f64, or None when wall_time is absent (0.0)
    step: tuple[int, int] | None  # (offset, varint length), or None when step is absent (0)
    value: tuple[int, int, str]  # (offset, width, numpy dtype or "varint:<dtype>")
    tag: str
    metadata: bytes | None  # serialized SummaryMetadata carried by these records
    is_tensor: bool

    def variable_columns(self) -> list[int]:
        cols: list[int] = []
        if self.wall is not None:
            cols += range(self.wall, self.wall + 8)
        if self.step is not None:
            cols += range(self.step[0], self.step[0] + self.step[1])
        cols += range(self.value[0], self.value[0] + self.value[1])
        return cols


def single_value(p: bytes) -> tuple[int | None, tuple[int, int] | None, int]:
    """Where the one Summary.Value of an event payload starts: (wall offset, step span, value start).

    Raises NoTemplate unless the payload is wall_time?, step?, then a summary of exactly one value
    and nothing after it: the shape of every event that `tf.summary`, torch and Keras write.
    """
    pos, n = 0, len(p)
    wall = step = None
    if pos < n and p[pos] == 0x09:
        wall, pos = 1, 9
    if pos < n and p[pos] == 0x10:
        _, end = read_varint(p, pos + 1)
        step, pos = (pos + 1, end - pos - 1), end
    if pos >= n or p[pos] != 0x2A:
        raise NoTemplate
    size, pos = read_varint(p, pos + 1)
    if pos + size != n or pos >= n or p[pos] != 0x0A:  # a summary and nothing after it
        raise NoTemplate
    size, pos = read_varint(p, pos + 1)
    if pos + size != n:  # exactly one value
        raise NoTemplate
    return wall, step, pos


def parse_template(p: bytes) -> Template:
    """Parse one payload by hand; raise NoTemplate unless it is a one-value scalar event."""
    n = len(p)
    wall, step, pos = single_value(p)
    tag = value = metadata = None
    is_tensor = False
    while pos < n:
        key = p[pos]
        if key == 0x0A and tag is None:
            size, pos = read_varint(p, pos + 1)
            tag, pos = p[pos : pos + size], pos + size
        elif key == 0x15 and value is None:
            value, pos = (pos + 1, 4, "<f4"), pos + 5
        elif key == 0x42 and value is None:
            size, pos = read_varint(p, pos + 1)
            value, is_tensor = _tensor_value(p, pos, pos + size), True
            pos += size
        elif key == 0x4A and metadata is None:
            size, pos = read_varint(p, pos + 1)
            metadata, pos = p[pos : pos + size], pos + size
        else:
            raise NoTemplate
    if tag is None or value is None or pos != n:
        raise NoTemplate
    try:
        tag_text = tag.decode("utf-8")
    except UnicodeDecodeError:
        raise NoTemplate from None
    return Template(wall, step, value, tag_text, metadata, is_tensor)


def _tensor_value(p: bytes, pos: int, end: int) -> tuple[int, int, str]:
    """Locate the single number in a rank-0 TensorProto spanning p[pos:end]."""
    dtype = None
    value = None
    while pos < end:
        key = p[pos]
        field, wire = key >> 3, key & 7
        if key == 0x08:
            dtype, pos = read_varint(p, pos + 1)
        elif key == 0x12:  # tensor_shape: must be empty (rank 0)
            if p[pos + 1] != 0:
                raise NoTemplate
            pos += 2
        elif wire == 2 and value is None:
            size, pos = read_varint(p, pos + 1)
            if dtype is not None and (dtype, field) in _FIXED:
                width = np.dtype(_FIXED[dtype, field]).itemsize
                if size != width:
                    raise NoTemplate
                value = (pos, width, _FIXED[dtype, field])
            elif dtype is not None and field in _VARINT_FIELDS:
                _, stop = read_varint(p, pos)
                if stop != pos + size:
                    raise NoTemplate
                value = (pos, size, f"varint:{dtype}")
            else:
                raise NoTemplate
            pos += size
        else:
            raise NoTemplate
    if value is None:
        raise NoTemplate
    return value


@dataclass
class ScalarBlock:
    """Rows of one template: every record here has the same tag and metadata."""

    tag: str
    metadata: bytes | None
    is_tensor: bool
    records: np.ndarray  # indices into the framing's records
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray  # float64


def _column_bytes(rows: np.ndarray, start: int, width: int) -> np.ndarray:
    return np.ascontiguousarray(rows[:, start : start + width])


def _decode_varint(cols: np.ndarray) -> np.ndarray:
    out = np.zeros(len(cols), dtype=np.uint64)
    for i in range(cols.shape[1]):
        out |= (cols[:, i].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * i)
    return out


def _varint_shape_ok(rows: np.ndarray, start: int, width: int) -> np.ndarray:
    """All rows have a varint of exactly `width` bytes at `start` (continuation bits as expected)."""
    ok = (rows[:, start + width - 1] & 0x80) == 0
    for i in range(width - 1):
        ok &= (rows[:, start + i] & 0x80) != 0
    return ok


def _decode_block(rows: np.ndarray, t: Template) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(rows)
    wall = (
        _column_bytes(rows, t.wall, 8).view("<f8").reshape(n).astype(np.float64)
        if t.wall is not None
        else np.zeros(n)
    )
    step = (
        _decode_varint(rows[:, t.step[0] : t.step[0] + t.step[1]]).view(np.int64)
        if t.step is not None
        else np.zeros(n, dtype=np.int64)
    )
    start, width, kind = t.value
    if kind.startswith("varint:"):
        dtype = int(kind.split(":")[1])
        raw = _decode_varint(rows[:, start : start + width])
        if dtype == _DT_HALF:
            value = raw.astype(np.uint16).view(np.float16).astype(np.float64)
        elif dtype == _DT_BFLOAT16:
            value = (raw.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)
        elif dtype in (_DT_UINT8,):
            value = raw.astype(np.float64)
        else:  # int32/int64/bool: negative numbers are 10-byte two's complement varints
            value = raw.view(np.int64).astype(np.float64)
    else:
        raw = _column_bytes(rows, start, width).view(kind).reshape(n)
        if kind == "<u2":  # bfloat16 bits
            raw = (raw.astype(np.uint32) << np.uint32(16)).view(np.float32)
        value = raw.astype(np.float64)
    return step, wall, value


def decode_scalars(b: np.ndarray, offsets: np.ndarray, lengths: np.ndarray
                   ) -> tuple[list[ScalarBlock], np.ndarray, np.ndarray]:
    """Decode every scalar record that fits a template.

    Payload CRCs of the rows a template matches are checked here, on the matrix decoded anyway:
    those rows equal the template's first row outside its variable columns, so only those
    columns enter the CRC. Returns the blocks, the leftover records (not CRC-checked: the caller
    checks them) and the records whose payload CRC failed.
    """
    blocks: list[ScalarBlock] = []
    leftover: list[np.ndarray] = []
    corrupt: list[np.ndarray] = []
    if len(offsets) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return blocks, empty, empty
    # a stable sort of uint16 keys is a radix sort: linear, where int64 keys take a merge sort
    keys = lengths.astype(np.uint16) if int(lengths.max()) < 1 << 16 else lengths
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(lengths[order])) + 1
    for group in np.split(order, bounds):
        length = int(lengths[group[0]])
        if length > 512 or len(group) < 4:
            # Long payloads are not scalars; tiny groups cost more to stack than to parse.
            leftover.append(group)
            continue
        framed = stack(b, offsets[group], length + FOOTER)
        rows = framed[:, :length]
        remaining = np.arange(len(group))
        while len(remaining):
            first = remaining[0]
            try:
                t = parse_template(rows[first].tobytes())
            except (NoTemplate, IndexError):
                leftover.append(group[first : first + 1])
                remaining = remaining[1:]
                continue
            variable = t.variable_columns()
            structure = np.ones(length, dtype=bool)
            structure[variable] = False
            whole = len(remaining) == len(rows)  # (the first template of a group: no copy)
            sub = rows if whole else rows[remaining]
            match = (sub[:, structure] == rows[first, structure]).all(axis=1)
            if t.step is not None:
                match &= _varint_shape_ok(sub, *t.step)
            if t.value[2].startswith("varint:"):
                match &= _varint_shape_ok(sub, t.value[0], t.value[1])
            matched = remaining[match]
            every = whole and len(matched) == len(rows)  # the usual case: one tag per length
            block_rows = rows if every else rows[matched]
            ok = masked_crc_rows(block_rows, variable) == stored_crc(framed if every else framed[matched])
            if not ok.all():
                corrupt.append(group[matched[~ok]])
                matched, block_rows = matched[ok], block_rows[ok]
            remaining = remaining[~match]
            if not len(matched):
                continue
            step, wall, value = _decode_block(block_rows, t)
            blocks.append(ScalarBlock(t.tag, t.metadata, t.is_tensor, group[matched], step, wall, value))
    rest = np.sort(np.concatenate(leftover)) if leftover else np.zeros(0, dtype=np.int64)
    bad = np.sort(np.concatenate(corrupt)) if corrupt else np.zeros(0, dtype=np.int64)
    return blocks, rest, bad
