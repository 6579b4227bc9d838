"""Damaged, foreign, empty, torn and missing event files: what nbtb.load reads and how it warns."""

from __future__ import annotations

import functools
import os
import re
import shutil
import struct
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbtb
from nbtb import records
from nbtb.crc import masked_crc
from helpers_events import (load_recording, pairs, record_spans, refresh_recording, scalar_of,
                            write_scalars)


def _flip(path: str, offset: int, mask: int = 0xFF) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ mask]))


def _expect_one_warning(messages: list[str], path: str, offset: int) -> None:
    assert len(messages) == 1, messages
    assert path in messages[0], messages[0]
    assert re.search(rf"\bbyte {offset}\b", messages[0]), (offset, messages[0])


@pytest.fixture
def run_file(tmp_path):
    """A 200-scalar file; the records are long enough runs of equal length to go the vectorised way."""
    path, written = write_scalars(tmp_path / "run", 200)
    return tmp_path, path, written, record_spans(path)


# ---- both CRCs are checked -------------------------------------------------------------------
@pytest.mark.parametrize("where", ["payload", "payload_crc"])
def test_bad_payload_crc_skips_that_record_only(run_file, where):
    root, path, written, spans = run_file
    k = 100  # record 100 holds scalar 99 (record 0 is file_version)
    start, end, payload = spans[k]
    offset = start + 12 + len(payload) // 2 if where == "payload" else end - 2
    _flip(path, offset, 0x01)
    logdir, messages = load_recording(root)
    expected = [p for p in written if p != scalar_of(payload)]
    assert pairs(logdir.scalars) == expected
    _expect_one_warning(messages, path, start)


def test_payload_crc_is_checked_even_when_the_payload_still_decodes(run_file):
    root, path, written, spans = run_file
    start, end, payload = spans[10]
    # Change the float's last byte: still a valid Event with a plausible value, but not what was written.
    value_at = start + 12 + payload.rindex(struct.pack("<f", written[9][1]))
    _flip(path, value_at, 0x01)
    logdir, messages = load_recording(root)
    assert written[9] not in pairs(logdir.scalars)
    assert pairs(logdir.scalars) == written[:9] + written[10:]
    _expect_one_warning(messages, path, start)


@pytest.mark.parametrize("where", ["length", "length_high", "length_crc"])
def test_corrupt_length_resynchronises_on_the_next_record(run_file, where):
    root, path, written, spans = run_file
    start, end, payload = spans[50]
    offset = {"length": start, "length_high": start + 5, "length_crc": start + 9}[where]
    _flip(path, offset)
    logdir, messages = load_recording(root)
    # Everything but the damaged record, including all 150 after it.
    assert pairs(logdir.scalars) == written[:49] + written[50:]
    _expect_one_warning(messages, path, start)


def test_length_damage_in_several_places_recovers_every_intact_record(run_file):
    root, path, written, spans = run_file
    damaged = [3, 4, 60, 61, 62, 150, 200]  # two adjacent, three adjacent, the very last record
    for k in damaged:
        _flip(path, spans[k][0] + 2)
    logdir, messages = load_recording(root)
    lost = {written[k - 1] for k in damaged}
    assert pairs(logdir.scalars) == [p for p in written if p not in lost]
    _expect_one_warning(messages, path, spans[3][0])


def test_payload_length_damage_pointing_past_the_end_is_damage_not_a_torn_record(run_file):
    """A length whose CRC fails must not be trusted as 'record still being written'."""
    root, path, written, spans = run_file
    start = spans[20][0]
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(struct.pack("<Q", 1 << 20))  # far past the end; the length CRC no longer matches
    logdir, messages = load_recording(root)
    assert pairs(logdir.scalars) == written[:19] + written[20:]
    _expect_one_warning(messages, path, start)


def test_garbage_between_records_is_skipped(run_file):
    root, path, written, spans = run_file
    data = open(path, "rb").read()
    cut = spans[30][0]
    junk = np.random.default_rng(1).integers(0, 256, 777, dtype=np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(data[:cut] + junk + data[cut:])
    logdir, messages = load_recording(root)
    assert pairs(logdir.scalars) == written
    _expect_one_warning(messages, path, cut)


def test_one_warning_per_file_even_across_refreshes(run_file):
    root, path, written, spans = run_file
    _flip(path, spans[5][0] + 20)
    logdir, messages = load_recording(root)
    _expect_one_warning(messages, path, spans[5][0])
    # More damage and more good records appended later: read, but the file was already reported.
    elsewhere = tempfile.mkdtemp()
    try:
        more_path, more_written = write_scalars(elsewhere, 5, start=1000)
        extra = b"\x00garbage\xff" * 3 + open(more_path, "rb").read()
    finally:
        shutil.rmtree(elsewhere)
    with open(path, "ab") as f:
        f.write(extra)
    result, messages = refresh_recording(logdir)
    assert messages == []
    assert pairs(result.scalars) == more_written
    assert pairs(logdir.scalars) == written[:4] + written[5:] + more_written
    result, messages = refresh_recording(logdir)
    assert messages == [] and not result


def test_damage_in_appended_bytes_is_reported_at_its_offset_in_the_file(run_file):
    root, path, written, spans = run_file
    logdir, messages = load_recording(root)
    assert messages == [] and pairs(logdir.scalars) == written
    size = os.path.getsize(path)
    extra = records.encode(_scalar_payload(5000, 2.5))
    damaged = bytearray(extra)
    damaged[15] ^= 0x40  # in the payload
    with open(path, "ab") as f:
        f.write(bytes(damaged) + records.encode(_scalar_payload(5001, 3.5)))
    result, messages = refresh_recording(logdir)
    _expect_one_warning(messages, path, size)
    assert result.damaged == [path]
    assert pairs(result.scalars) == [(5001, 3.5)]


def test_each_damaged_file_warns_once_with_its_own_offset(tmp_path):
    paths = []
    for name in ("a", "b", "c"):
        path, _ = write_scalars(tmp_path / name, 30)
        paths.append(path)
    spans_a, spans_b = record_spans(paths[0]), record_spans(paths[1])
    _flip(paths[0], spans_a[7][0] + 1)
    _flip(paths[0], spans_a[20][0] + 15)
    _flip(paths[1], spans_b[2][1] - 1)
    logdir, messages = load_recording(tmp_path)
    assert len(messages) == 2, messages
    (msg_a,) = [m for m in messages if paths[0] in m]
    (msg_b,) = [m for m in messages if paths[1] in m]
    assert re.search(rf"\bbyte {spans_a[7][0]}\b", msg_a)
    assert re.search(rf"\bbyte {spans_b[2][0]}\b", msg_b)
    counts = logdir.scalars.groupby("run", observed=True).size().to_dict()
    assert counts == {"a": 28, "b": 29, "c": 30}


def test_damaged_records_of_other_kinds_are_skipped(tmp_path):
    """Records that are not bulk-decoded scalars (histogram, image, text) get their payload CRC checked too."""
    with nbtb.SummaryWriter(tmp_path / "run") as w:
        for s in range(3):
            w.add_scalar("loss", s, s)
            w.add_histogram("weights", np.arange(10.0) + s, s)
            w.add_image("img", np.full((4, 5, 3), 40 * s, np.uint8), s, dataformats="HWC")
            w.add_text("note", f"step {s}", s)
    spans = record_spans(w.path)
    # Records: version, then (scalar, histogram, image, text) per step.
    hist1, img2, text0 = spans[1 + 4 * 1 + 1], spans[1 + 4 * 2 + 2], spans[1 + 4 * 0 + 3]
    for start, end, payload in (hist1, img2, text0):
        _flip(w.path, start + 12 + len(payload) - 3, 0x10)
    logdir, messages = load_recording(tmp_path)
    _expect_one_warning(messages, w.path, text0[0])
    assert logdir.histograms["step"].tolist() == [0, 2]
    assert logdir.images["step"].tolist() == [0, 1]
    assert logdir.text["step"].tolist() == [1, 2]
    assert logdir.scalars["step"].tolist() == [0, 1, 2]


@pytest.mark.parametrize("piece", [1, 5, 11, 12, 13, 40, 1000])
def test_damage_then_writer_appends_in_pieces_recovers_every_intact_record(tmp_path, piece):
    """A file damaged near its end keeps growing; each refresh sees a few more bytes."""
    src, written = write_scalars(tmp_path / "src", 12)
    spans = record_spans(src)
    data = bytearray(open(src, "rb").read())
    data[spans[5][0]] ^= 0xFF  # the length of record 5 (step 4)
    (tmp_path / "logs").mkdir()
    path = str(tmp_path / "logs" / "events.out.tfevents.1700000000.host")
    cut = spans[6][0]  # the file first ends right after the damaged record
    with open(path, "wb") as f:
        f.write(data[:cut])
    logdir, messages = load_recording(tmp_path / "logs")
    _expect_one_warning(messages, path, spans[5][0])
    for at in range(cut, len(data), piece):
        with open(path, "ab") as f:
            f.write(data[at:at + piece])
        _, new_messages = refresh_recording(logdir)
        assert new_messages == []
    assert pairs(logdir.scalars) == written[:4] + written[5:]


# ---- foreign files -----------------------------------------------------------------------------
@pytest.mark.parametrize("content", [
    pytest.param(np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes(), id="random"),
    pytest.param(b"this is not an event file\n" * 40, id="text"),
    pytest.param(b"\x00" * 64, id="zeros"),
    pytest.param(b"\xff" * 20, id="short"),
])
def test_foreign_file_is_reported_and_everything_else_loads(tmp_path, content):
    good_path, good = write_scalars(tmp_path / "run", 20)
    other_path, other = write_scalars(tmp_path / "other", 10, tag="acc")
    foreign = str(tmp_path / "run" / "events.out.tfevents.x")
    with open(foreign, "wb") as f:
        f.write(content)
    logdir, messages = load_recording(tmp_path)
    _expect_one_warning(messages, foreign, 0)
    assert logdir.runs == ["other", "run"]
    assert pairs(logdir.scalars, run="run") == good
    assert pairs(logdir.scalars, run="other") == other
    result, messages = refresh_recording(logdir)
    assert messages == [] and not result


def test_foreign_file_alone_in_the_logdir(tmp_path):
    foreign = str(tmp_path / "events.out.tfevents.x")
    with open(foreign, "wb") as f:
        f.write(os.urandom(3000))
    logdir, messages = load_recording(tmp_path)
    _expect_one_warning(messages, foreign, 0)
    assert logdir.scalars.empty


# ---- empty, torn, missing --------------------------------------------------------------------
def test_empty_event_file_is_not_damage(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "events.out.tfevents.1.host").write_bytes(b"")
    logdir, messages = load_recording(tmp_path)
    assert messages == []
    assert logdir.scalars.empty
    result, messages = refresh_recording(logdir)
    assert messages == []


@pytest.mark.parametrize("where", ["mid_length", "mid_crc", "mid_payload", "mid_footer"])
def test_torn_final_record_is_read_once_when_complete(run_file, where):
    root, path, written, spans = run_file
    start, end, payload = spans[-1]
    cut = {"mid_length": start + 3, "mid_crc": start + 10, "mid_payload": start + 12 + len(payload) // 2,
           "mid_footer": end - 1}[where]
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[:cut])
    logdir, messages = load_recording(root)
    assert messages == []
    assert pairs(logdir.scalars) == written[:-1]
    # Nothing new yet: a refresh reads nothing and does not warn.
    result, messages = refresh_recording(logdir)
    assert messages == [] and not result and result.records == 0
    # The writer finishes the record (in two more pieces) and starts another.
    with open(path, "ab") as f:
        f.write(data[cut:end - 1] if cut < end - 1 else b"")
    result, messages = refresh_recording(logdir)
    assert messages == [] and result.records == 0
    extra = records.encode(_scalar_payload(9999, 1.5))
    with open(path, "ab") as f:
        f.write(data[max(cut, end - 1):] + extra)
    result, messages = refresh_recording(logdir)
    assert messages == []
    assert result.records == 2
    assert pairs(result.scalars) == [written[-1], (9999, 1.5)]
    assert pairs(logdir.scalars) == written + [(9999, 1.5)]
    result, messages = refresh_recording(logdir)
    assert not result and pairs(logdir.scalars) == written + [(9999, 1.5)]


def _scalar_payload(step: int, value: float) -> bytes:
    from nbtb.proto import event_pb2, summary_pb2

    event = event_pb2.Event(wall_time=1.0, step=step)
    event.summary.value.append(summary_pb2.Summary.Value(tag="loss", simple_value=value))
    return event.SerializeToString()


def test_nonexistent_logdir_raises_naming_it(tmp_path):
    missing = tmp_path / "no" / "such" / "logs"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        nbtb.load(missing)
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        nbtb.load(str(missing))


@pytest.mark.parametrize("layout", ["no_files", "other_files"])
def test_empty_logdir_gives_typed_empty_frames(tmp_path, layout):
    if layout == "other_files":
        (tmp_path / "run").mkdir()
        (tmp_path / "run" / "notes.txt").write_text("no events here")
    logdir, messages = load_recording(tmp_path)
    assert messages == []
    assert logdir.runs == []
    df = logdir.scalars
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert len(df) == 0
    for column in ("run", "tag"):
        assert isinstance(df[column].dtype, pd.CategoricalDtype) or df[column].dtype == object, df.dtypes
    assert df["step"].dtype == np.int64
    assert df["wall_time"].dtype == np.float64
    assert df["value"].dtype == np.float64
    for kind in ("histograms", "images", "audio", "text", "tensors"):
        frame = getattr(logdir, kind)
        assert len(frame) == 0
        assert list(frame.columns[:4]) == ["run", "tag", "step", "wall_time"], kind
        assert frame["step"].dtype == np.int64 and frame["wall_time"].dtype == np.float64, kind
    result, messages = refresh_recording(logdir)
    assert not result and messages == []


# ---- property tests ------------------------------------------------------------------------
@functools.cache
def _reference() -> tuple[bytes, list[tuple[int, int, bytes]]]:
    """An intact file of 40 scalars of varied record lengths, and its record boundaries per TensorBoard."""
    root = tempfile.mkdtemp()
    try:
        rng = np.random.default_rng(3)
        values = rng.normal(size=200).astype(np.float32)
        steps = [0, 1, 2, 127, 128, 129, 300, 16383, 16384, 70000, *range(100000, 100030)]
        with nbtb.SummaryWriter(os.path.join(root, "src")) as w:
            for i, s in enumerate(steps):
                w.add_scalar("loss" if i % 3 else "metrics/accuracy", float(values[i]), s)
        return open(w.path, "rb").read(), record_spans(w.path)
    finally:
        shutil.rmtree(root)


def _load_bytes(data: bytes):
    """Load a logdir holding just `data` as one event file; returns scalars pairs, messages, path, logdir, dir."""
    root = tempfile.mkdtemp()
    path = os.path.join(root, "events.out.tfevents.1700000000.host.1.0")
    with open(path, "wb") as f:
        f.write(data)
    logdir, messages = load_recording(root)
    return logdir, messages, path, root


def _expected(spans, keep) -> list[tuple[int, float]]:
    out = []
    for i, (start, end, payload) in enumerate(spans):
        if keep(start, end):
            pair = scalar_of(payload)
            if pair is not None:
                out.append(pair)
    return out


def _sorted_pairs(df):
    return sorted(pairs(df))


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cut_fraction=st.floats(min_value=0, max_value=1))
def test_truncation_reads_exactly_the_whole_records_then_the_rest_once(cut_fraction):
    data, spans = _reference()
    cut = int(round(cut_fraction * len(data)))
    logdir, messages, path, root = _load_bytes(data[:cut])
    try:
        assert messages == []
        assert _sorted_pairs(logdir.scalars) == sorted(_expected(spans, lambda s, e: e <= cut))
        with open(path, "ab") as f:
            f.write(data[cut:])
        result, messages = refresh_recording(logdir)
        assert messages == []
        assert _sorted_pairs(result.scalars) == sorted(_expected(spans, lambda s, e: e > cut))
        assert _sorted_pairs(logdir.scalars) == sorted(_expected(spans, lambda s, e: True))
    finally:
        shutil.rmtree(root)


@PROPERTY
@given(flips=st.lists(st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True),
                                st.integers(min_value=1, max_value=255)), min_size=1, max_size=6))
def test_byte_flips_skip_only_the_touched_records(flips):
    data, spans = _reference()
    buf = bytearray(data)
    positions = set()
    for fraction, mask in flips:
        pos = int(fraction * len(data))
        buf[pos] ^= mask
        positions.add(pos)
    positions = {p for p in positions if buf[p] != data[p]}  # two flips of one byte may cancel
    if not positions:
        return
    logdir, messages, path, root = _load_bytes(bytes(buf))
    try:
        read = pairs(logdir.scalars)
        originals = _expected(spans, lambda s, e: True)
        # Nothing invented or altered: every row is an original (step, value) pair, at most once.
        assert len(read) == len(set(read))
        assert set(read) <= set(originals)
        # Every record no flip touched is there (in particular, all before the first flip).
        untouched = _expected(spans, lambda s, e: not any(s <= p < e for p in positions))
        assert set(untouched) <= set(read)
        first = min(positions)
        (first_record,) = [s for s, e, _ in spans if s <= first < e]
        _expect_one_warning(messages, path, first_record)
    finally:
        shutil.rmtree(root)


@PROPERTY
@given(flips=st.lists(st.tuples(st.integers(min_value=0, max_value=40),  # record
                                st.one_of(st.integers(0, 11), st.integers(0, 60)),  # byte in it (header-heavy)
                                st.integers(min_value=1, max_value=255)), min_size=1, max_size=3),
       near=st.lists(st.integers(min_value=-20, max_value=100), max_size=12),
       anywhere=st.lists(st.floats(min_value=0, max_value=1), max_size=12))
def test_byte_flips_read_piecewise_equal_read_at_once(flips, near, anywhere):
    """A damaged file that grows piece by piece, refreshed after every piece, is read as if read at once.

    The writes end at random places, many of them close after the first damaged record (where the
    reader must resynchronise across write boundaries).
    """
    data, spans = _reference()
    buf = bytearray(data)
    for record, byte, mask in flips:
        start, end, _ = spans[record]
        buf[min(start + byte, end - 1)] ^= mask
    first = spans[min(r for r, _, _ in flips)][0]
    cuts = sorted({min(max(first + d, 0), len(buf)) for d in near} | {int(f * len(buf)) for f in anywhere}
                  | {len(buf)})
    whole, whole_messages, _, root = _load_bytes(bytes(buf))
    shutil.rmtree(root)
    logdir, messages, path, root = _load_bytes(b"")
    try:
        at = 0
        for cut in cuts:
            with open(path, "ab") as f:
                f.write(buf[at:cut])
            at = cut
            _, new_messages = refresh_recording(logdir)
            messages += new_messages
        assert pairs(logdir.scalars) == pairs(whole.scalars)
        # Same single warning, at the same (absolute) byte offset.
        assert [m.split(": ", 1)[1] for m in messages] == [m.split(": ", 1)[1] for m in whole_messages]
    finally:
        shutil.rmtree(root)


def test_crc_reference_vectors():
    """The CRC the framing relies on matches FORMATS.md §1's test vectors."""
    assert masked_crc(struct.pack("<Q", 24)) == 0x224B7FA3
    payload = bytes.fromhex("09 00 00 80 38 99 d6 d7 41 1a 0d") + b"brain.Event:2"
    assert masked_crc(payload) == 0xAB364B12
