"""CRC-32C as TFRecord uses it: one record at a time, and many equal-length records at once.

TFRecord guards every record with a *masked* CRC-32C of its length field and of its payload.
Checking millions of small scalar records one `crc32c()` call at a time costs more than
decoding them, so equal-length records are checked together with numpy: CRC is affine over
GF(2), so for a fixed length L

    crc(x) = crc(0^L) XOR  XOR_j  C_j[x_j]

where C_j[v] is what byte value v at position j contributes once L-1-j more bytes follow.
C_j depends only on L-1-j, so one table per distance serves every length.
"""

from __future__ import annotations

import threading

import crc32c as _crc32c
import numpy as np

_MASK_DELTA = 0xA282EAD8
_POLY = 0x82F63B78  # CRC-32C, reflected


def masked_crc(data: bytes | memoryview) -> int:
    """The masked CRC-32C TFRecord stores after the length and after the payload."""
    crc = _crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def mask(crc: np.ndarray) -> np.ndarray:
    """Vectorised TFRecord masking of uint32 CRCs (uint32 arithmetic wraps as the format wants)."""
    crc = crc.astype(np.uint32, copy=False)
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


def _byte_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1).astype(np.uint32)
    return table


_TABLE = _byte_table()
_lock = threading.Lock()
# _distance[k] = contribution table of a byte followed by k zero bytes (raw register, no init/xorout).
_distance: np.ndarray = _TABLE[None, :].copy()
_zero_crc: dict[int, int] = {}

# Rows longer than this are checked one call at a time (the tables would grow too large).
MAX_VECTOR_LENGTH = 2048


def _tables(length: int) -> np.ndarray:
    """Tables for distances 0..length-1, extended on demand (thread-safe, grow-only)."""
    global _distance
    table = _distance
    if len(table) >= length:
        return table
    with _lock:
        table = _distance
        if len(table) < length:
            rows = [table]
            last = table[-1]
            for _ in range(length - len(table)):
                last = _TABLE[last & 0xFF] ^ (last >> np.uint32(8))
                rows.append(last[None, :])
            _distance = table = np.concatenate(rows)
    return table


def _crc_of_zeros(length: int) -> int:
    crc = _zero_crc.get(length)
    if crc is None:
        crc = _zero_crc[length] = _crc32c.crc32c(bytes(length))
    return crc


def crc_rows(rows: np.ndarray, varying: list[int] | np.ndarray | None = None) -> np.ndarray:
    """CRC-32C of each row of a (n, L) uint8 matrix, as uint32 (unmasked).

    ``varying``: the columns where rows may differ from row 0, when the caller already knows
    (every other column MUST equal row 0's); found here otherwise, at the cost of a pass.
    """
    n, length = rows.shape
    if length == 0:
        return np.zeros(n, dtype=np.uint32)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    tables = _tables(length)
    # Columns every row agrees on contribute one constant: fold them in once.
    if varying is None:
        varying = np.flatnonzero((rows != rows[0]).any(axis=0))
    varying = np.asarray(varying, dtype=np.int64)
    constant = np.uint32(_crc32c.crc32c(rows[0].tobytes()))
    if len(varying) == 0:
        return np.full(n, constant, dtype=np.uint32)
    # crc(x) = crc(row0) ^ XOR over varying columns j of (C_j[x_j] ^ C_j[row0_j]); one small-table
    # lookup per column keeps the table in cache (faster than one big 2-D gather).
    acc = np.zeros(n, dtype=np.uint32)
    for j in varying.tolist():
        table = tables[length - 1 - j]
        acc ^= table[rows[:, j]]
        constant ^= table[rows[0, j]]
    return acc ^ constant


def masked_crc_rows(rows: np.ndarray, varying: list[int] | np.ndarray | None = None) -> np.ndarray:
    return mask(crc_rows(rows, varying))


__all__ = ["masked_crc", "mask", "crc_rows", "masked_crc_rows", "MAX_VECTOR_LENGTH"]
