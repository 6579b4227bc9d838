"""Logdirs behind fsspec: a real (moto) S3 server over HTTP, and fsspec's memory:// filesystem."""

from __future__ import annotations

import os
import socket
import uuid

import numpy as np
import pandas as pd
import pytest

import nbtb
from helpers_events import data_loss_warnings, pairs

KINDS = ("scalars", "histograms", "images", "tags")


def _write_logdir(root) -> dict[str, str]:
    """Two runs with scalars, a histogram and an image; returns run name -> event file path."""
    paths = {}
    rng = np.random.default_rng(0)
    for run, scale in (("train", 1.0), ("eval/deep", -2.0)):
        with nbtb.SummaryWriter(os.path.join(root, run)) as w:
            for step in range(25):
                w.add_scalar("loss", scale * step / 4, step)
                w.add_scalar("lr", 0.5 ** step, step)
            for step in (0, 10, 20):
                w.add_histogram("weights", rng.normal(scale, 1, 200), step)
            w.add_image("sample", rng.integers(0, 255, (6, 7, 3), dtype=np.uint8), 5, dataformats="HWC")
        paths[run] = w.path
    return paths


def _same_frame(a: pd.DataFrame, b: pd.DataFrame, kind: str) -> None:
    assert list(a.columns) == list(b.columns), kind
    assert len(a) == len(b), kind
    assert len(a) > 0, kind
    for column in a.columns:
        x, y = a[column], b[column]
        if isinstance(x.dtype, pd.CategoricalDtype) or x.dtype == object:
            for i, (u, v) in enumerate(zip(x.tolist(), y.tolist())):
                if isinstance(u, np.ndarray):
                    assert np.array_equal(u, v), (kind, column, i)
                else:
                    assert u == v, (kind, column, i, u, v)
        else:
            assert x.dtype == y.dtype, (kind, column)
            np.testing.assert_array_equal(x.to_numpy(), y.to_numpy(), err_msg=f"{kind}.{column}")


def _assert_same_logdir(remote: nbtb.Logdir, local: nbtb.Logdir) -> None:
    assert remote.runs == local.runs
    for kind in KINDS:
        _same_frame(getattr(remote, kind), getattr(local, kind), kind)


# ---- S3 through a real moto server ------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    import s3fs  # noqa: F401
    import boto3
    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        bucket = "nbtb-" + uuid.uuid4().hex[:12]
        client.create_bucket(Bucket=bucket)
        yield client, bucket, url
    finally:
        server.stop()


def _upload(client, bucket: str, local_root, prefix: str) -> None:
    for directory, _, files in os.walk(local_root):
        for name in files:
            path = os.path.join(directory, name)
            key = prefix + "/" + os.path.relpath(path, local_root).replace(os.sep, "/")
            with open(path, "rb") as f:
                client.put_object(Bucket=bucket, Key=key, Body=f.read())


def _options(url: str) -> dict:
    # A fresh s3fs instance per Logdir (skip_instance_cache), so no listing is served from another test's cache.
    return {"client_kwargs": {"endpoint_url": url}, "key": "testing", "secret": "testing",
            "skip_instance_cache": True}


def test_s3_logdir_equals_the_local_copy_and_refresh_reads_only_appends(s3, tmp_path):
    client, bucket, url = s3
    local_root = tmp_path / "logs"
    paths = _write_logdir(local_root)
    _upload(client, bucket, local_root, "logs")
    # Something that is not an event file, and an event file outside the logdir: both ignored.
    client.put_object(Bucket=bucket, Key="logs/train/notes.txt", Body=b"hello")
    client.put_object(Bucket=bucket, Key="elsewhere/events.out.tfevents.1.x", Body=b"junk")

    with data_loss_warnings() as warned:
        remote = nbtb.load(f"s3://{bucket}/logs", storage_options=_options(url))
        local = nbtb.load(local_root)
        _assert_same_logdir(remote, local)
    assert warned == []
    assert remote.runs == ["eval/deep", "train"]
    assert len(remote.scalars) == 2 * 2 * 25 and len(remote.histograms) == 2 * 3 and len(remote.images) == 2

    # Nothing changed: nothing read.
    result = remote.refresh()
    assert not result and result.records == 0

    # The training run goes on: its object is replaced by a longer version of itself.
    before = open(paths["train"], "rb").read()
    with nbtb.SummaryWriter(tmp_path / "more") as w:
        for step in range(25, 40):
            w.add_scalar("loss", step / 4, step)
    more = open(w.path, "rb").read()
    first_record = 12 + int.from_bytes(more[:8], "little") + 4  # skip the second file's file_version record
    with open(paths["train"], "ab") as f:
        f.write(more[first_record:])
    key = "logs/train/" + os.path.basename(paths["train"])
    client.put_object(Bucket=bucket, Key=key, Body=open(paths["train"], "rb").read())
    assert len(open(paths["train"], "rb").read()) > len(before)

    with data_loss_warnings() as warned:
        result = remote.refresh()
        local = nbtb.load(local_root)
        _assert_same_logdir(remote, local)
    assert warned == []
    assert result.records == 15 and result.new_runs == [] and result.new_files == []
    assert pairs(result.scalars) == [(s, s / 4) for s in range(25, 40)]
    assert set(result.scalars["run"].astype(str)) == {"train"}

    # A new run uploaded later is found by refresh.
    new_root = tmp_path / "new"
    with nbtb.SummaryWriter(new_root / "test") as w:
        w.add_scalar("acc", 0.75, 3)
    _upload(client, bucket, new_root, "logs")
    result = remote.refresh()
    assert result.new_runs == ["test"] and pairs(result.scalars) == [(3, 0.75)]
    assert remote.runs == ["eval/deep", "test", "train"]


def test_s3_missing_logdir_raises(s3):
    client, bucket, url = s3
    with pytest.raises(FileNotFoundError, match="nope"):
        nbtb.load(f"s3://{bucket}/nope", storage_options=_options(url))


# ---- memory:// ----------------------------------------------------------------------------
@pytest.fixture
def memory_root():
    import fsspec

    fs = fsspec.filesystem("memory")
    root = "/nbtb-" + uuid.uuid4().hex[:12]
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def _copy_to_memory(fs, local_root, root: str) -> None:
    for directory, _, files in os.walk(local_root):
        for name in files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, local_root).replace(os.sep, "/")
            with open(path, "rb") as f:
                fs.pipe_file(f"{root}/{rel}", f.read())


def test_memory_logdir_equals_the_local_copy_and_refreshes(memory_root, tmp_path):
    fs, root = memory_root
    local_root = tmp_path / "logs"
    paths = _write_logdir(local_root)
    _copy_to_memory(fs, local_root, root)
    with data_loss_warnings() as warned:
        remote = nbtb.load("memory://" + root)
        _assert_same_logdir(remote, nbtb.load(local_root))
    assert warned == []

    # Append half a record: nothing yet; the other half: exactly that record.
    from nbtb import records
    from nbtb.proto import event_pb2, summary_pb2

    event = event_pb2.Event(wall_time=2.0, step=99)
    event.summary.value.append(summary_pb2.Summary.Value(tag="loss", simple_value=9.5))
    data = records.encode(event.SerializeToString())
    rel = "eval/deep/" + os.path.basename(paths["eval/deep"])
    original = fs.cat_file(f"{root}/{rel}")
    fs.pipe_file(f"{root}/{rel}", original + data[:20])
    with data_loss_warnings() as warned:
        result = remote.refresh()
        assert not result
        fs.pipe_file(f"{root}/{rel}", original + data)
        result = remote.refresh()
    assert warned == []
    assert result.records == 1 and pairs(result.scalars) == [(99, 9.5)]
    assert pairs(remote.scalars, run="eval/deep", tag="loss")[-1] == (99, 9.5)
    assert not remote.refresh()


def test_memory_logdir_with_damage_warns_with_the_url_path(memory_root):
    fs, root = memory_root
    fs.pipe_file(f"{root}/run/events.out.tfevents.x", os.urandom(500))
    with data_loss_warnings() as warned:
        logdir = nbtb.load("memory://" + root)
    assert len(warned) == 1 and "events.out.tfevents.x" in str(warned[0].message)
    assert logdir.runs == ["run"] and logdir.scalars.empty


def test_memory_missing_logdir_raises():
    with pytest.raises(FileNotFoundError, match="no-such-logdir"):
        nbtb.load("memory://no-such-logdir-" + uuid.uuid4().hex)
