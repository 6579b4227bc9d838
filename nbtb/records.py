"""TFRecord framing: find every intact record in a byte buffer, fast, and survive damage.

A record is ``u64le length | u32le masked_crc(length) | payload | u32le masked_crc(payload)``
(FORMATS.md §1). Two ways to walk a buffer:

* fast: event payloads start with the ``wall_time`` field key (0x09), so candidate headers are
  the positions 12 bytes before a 0x09 byte whose length field fits in 32 bits. Their length
  CRCs are checked all at once with numpy; runs of candidates that link up (each ends where
  the next begins) are accepted in one step. This is what makes millions of records cheap.
* slow: one header at a time, used wherever the fast chain does not reach (a payload that
  does not start with 0x09, damage) and to resynchronise after a damaged length.

Outcomes, as the loader promises them: a record whose payload CRC fails is skipped and the walk
goes on after it; a length whose CRC fails is damage, and the walk resumes at the next position
holding a valid header (length CRC good) whose payload CRC is good too. A header or payload cut
off by the end of the buffer is *pending*, not damage: a writer may still be writing it, so the
walk stops there and the next read resumes at that byte.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from .crc import MAX_VECTOR_LENGTH, masked_crc, masked_crc_rows

HEADER = 12  # u64 length + u32 masked CRC of the length
FOOTER = 4  # u32 masked CRC of the payload
_WALL_TIME_KEY = 0x09  # field 1, wire type 1 (double): how every Event payload begins
_RESYNC_CHUNK = 1 << 20


@dataclass
class Framing:
    """The intact records of one buffer, as payload offsets and lengths (relative to the buffer)."""

    offsets: np.ndarray  # int64: where each payload starts
    lengths: np.ndarray  # int64
    end: int  # the next read resumes here
    resyncing: bool  # True: `end` is not a record boundary; the next read must search for one
    damage: list[tuple[int, str]] = field(default_factory=list)  # (byte offset, what was wrong)


def stack(b: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """The (n, width) byte matrix of b[s : s + width] for each start (a row copy each, no index matrix)."""
    windows = np.lib.stride_tricks.sliding_window_view(b, width)
    return windows[starts]


def _unaligned(b: np.ndarray, dtype: str) -> np.ndarray:
    """`b` read as little-endian `dtype` starting at EVERY byte (element i = bytes i..i+size-1):
    one gather then reads a field at any offset, instead of a gather, shift and OR per byte."""
    size = np.dtype(dtype).itemsize
    if len(b) < size:
        return np.zeros(0, dtype=dtype)
    return np.ndarray((len(b) - size + 1,), dtype=dtype, buffer=b, strides=(1,))


def _u32(b: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Little-endian u32 at arbitrary (unaligned) positions."""
    return _unaligned(b, "<u4")[pos]


def _valid_headers(b: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of candidate header positions (each with >= 12 bytes after it), those whose length CRC holds.

    Lengths of 4 GiB or more are not considered: no event is that large, and the filter throws
    away most false candidates before any CRC is computed.
    """
    length64 = _unaligned(b, "<u8")[pos]
    small = length64 < (1 << 32)
    pos = pos[small]
    if len(pos) == 0:
        return pos, pos
    lengths = length64[small].astype(np.uint32)
    # Records of one length share one length CRC: compute it once per distinct length. Small
    # lengths (every scalar event's) index a table built from a bincount, with no sort of the
    # millions of candidates; the rest (big records, false candidates) go through np.unique.
    expected = np.empty(len(lengths), dtype=np.uint32)
    small = lengths < _TABLE_LENGTHS
    if small.any():
        distinct = np.flatnonzero(np.bincount(lengths[small], minlength=_TABLE_LENGTHS))
        table = np.zeros(_TABLE_LENGTHS, dtype=np.uint32)
        table[distinct] = _length_crcs(distinct)
        expected[small] = table[lengths[small]]
    if not small.all():
        distinct, which = np.unique(lengths[~small], return_inverse=True)
        expected[~small] = _length_crcs(distinct)[which]
    ok = expected == _u32(b, pos + 8)
    return pos[ok], lengths[ok].astype(np.int64)


_TABLE_LENGTHS = 1 << 16


def _length_crcs(lengths: np.ndarray) -> np.ndarray:
    """The masked CRC a header stores for each length (of its 8 little-endian bytes)."""
    return masked_crc_rows(lengths.astype("<u8").view(np.uint8).reshape(-1, 8))


def stored_crc(rows: np.ndarray) -> np.ndarray:
    """The masked CRC stored in the 4 bytes that end each row of a (n, L+4) payload+footer matrix."""
    tail = np.ascontiguousarray(rows[:, -FOOTER:])
    return tail.view("<u4").reshape(len(rows))


def payload_crc_ok(b: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Check each payload against the masked CRC stored after it; equal lengths go together."""
    ok = np.zeros(len(offsets), dtype=bool)
    if len(offsets) == 0:
        return ok
    stored = _u32(b, offsets + lengths)
    buf = b.data
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    bounds = np.flatnonzero(np.diff(sorted_lengths)) + 1
    for group in np.split(order, bounds):
        length = int(lengths[group[0]])
        if len(group) >= 32 and length <= MAX_VECTOR_LENGTH:
            rows = stack(b, offsets[group], length)
            ok[group] = masked_crc_rows(rows) == stored[group]
        else:
            for i in group.tolist():
                start = int(offsets[i])
                ok[i] = masked_crc(buf[start : start + length]) == int(stored[i])
    return ok


def _resync(b: np.ndarray, start: int) -> int | None:
    """The first position >= start holding a valid header whose payload is intact or still pending."""
    n = len(b)
    last = n - HEADER  # last position with a whole header
    for chunk in range(start, last + 1, _RESYNC_CHUNK):
        pos = np.arange(chunk, min(chunk + _RESYNC_CHUNK, last + 1), dtype=np.int64)
        pos, lengths = _valid_headers(b, pos)
        for p, length in zip(pos.tolist(), lengths.tolist()):
            if p + HEADER + length + FOOTER > n:
                return p  # looks like the start of a record still being written
            if payload_crc_ok(b, np.array([p + HEADER]), np.array([length]))[0]:
                return p
    return None


def frame(buf: bytes | memoryview, *, resyncing: bool = False, verify: bool = True) -> Framing:
    """Find the intact records of `buf`, which starts at a record boundary unless `resyncing`.

    `verify=False` leaves the payload CRCs to the caller, which saves a pass when the caller
    stacks the payloads anyway (bulk.py checks them on the same byte matrix it decodes).
    """
    b = np.frombuffer(buf, dtype=np.uint8)
    n = len(b)
    damage: list[tuple[int, str]] = []

    # Fast candidates: a 0x09 byte 12 bytes in, with a valid length CRC in front of it.
    if n >= HEADER + 1:
        pos = np.flatnonzero(b[HEADER:] == _WALL_TIME_KEY).astype(np.int64)
        cand, cand_len = _valid_headers(b, pos)
    else:
        cand = cand_len = np.zeros(0, dtype=np.int64)
    nxt = cand + HEADER + cand_len + FOOTER
    breaks = np.flatnonzero(nxt[:-1] != cand[1:])

    heads: list[np.ndarray] = []
    lens: list[np.ndarray] = []
    o = 0
    if resyncing:
        found = _resync(b, 0)
        if found is None:  # still no valid record: keep searching from the unsearched tail next time
            return _finish(b, heads, lens, max(0, n - HEADER + 1), True, damage, verify)
        o = found
    pending_at: int | None = None
    i = int(np.searchsorted(cand, o))
    while o < n:
        if i < len(cand) and cand[i] == o:
            k = int(np.searchsorted(breaks, i))
            j = int(breaks[k]) if k < len(breaks) else len(cand) - 1
            # The last of a run may end past the buffer: that one is pending.
            j_complete = i + int(np.searchsorted(nxt[i : j + 1], n, side="right")) - 1
            if j_complete >= i:
                heads.append(cand[i : j_complete + 1])
                lens.append(cand_len[i : j_complete + 1])
                o = int(nxt[j_complete])
            if j_complete < j or (j_complete < i):
                pending_at = o
                break
            i = j + 1
            continue
        # Slow step: one header by hand.
        if n - o < HEADER:
            pending_at = o
            break
        length, length_crc = struct.unpack_from("<QI", buf, o)
        if masked_crc(buf[o : o + 8]) != length_crc:
            damage.append((o, "corrupt record length (CRC mismatch)"))
            found = _resync(b, o + 1)
            if found is None:
                # Nothing valid in the rest; a header may still straddle the end, so keep the tail.
                return _finish(b, heads, lens, max(o + 1, n - HEADER + 1), True, damage, verify)
            o = found
        else:
            if o + HEADER + length + FOOTER > n:
                pending_at = o
                break
            heads.append(np.array([o], dtype=np.int64))
            lens.append(np.array([length], dtype=np.int64))
            o += HEADER + length + FOOTER
        i = int(np.searchsorted(cand, o))
    end = pending_at if pending_at is not None else o
    return _finish(b, heads, lens, end, False, damage, verify)


def _finish(b, heads, lens, end: int, resyncing: bool, damage, verify: bool) -> Framing:
    starts = np.concatenate(heads) if heads else np.zeros(0, dtype=np.int64)
    lengths = np.concatenate(lens) if lens else np.zeros(0, dtype=np.int64)
    offsets = starts + HEADER
    ok = payload_crc_ok(b, offsets, lengths) if verify else np.ones(len(offsets), dtype=bool)
    if not ok.all():
        for start in starts[~ok].tolist():
            damage.append((start, "corrupt record payload (CRC mismatch)"))
        damage.sort()
        offsets, lengths = offsets[ok], lengths[ok]
    return Framing(offsets, lengths, end, resyncing, damage)


def encode(payload: bytes) -> bytes:
    """One framed record, as TensorFlow's writers produce it."""
    header = struct.pack("<Q", len(payload))
    return b"".join(
        (header, struct.pack("<I", masked_crc(header)), payload, struct.pack("<I", masked_crc(payload)))
    )


__all__ = ["Framing", "frame", "encode", "payload_crc_ok", "stored_crc", "HEADER", "FOOTER"]
