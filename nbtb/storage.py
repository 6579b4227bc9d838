"""Where event files live: the local disk, or anything fsspec reaches (s3://, gs://, memory://, …).

The loader needs only three things from storage: list the event files under a directory, a
file's current size, and the bytes from an offset to the end. Local paths use plain `os` calls
(fastest); a path with a protocol goes through fsspec, imported only then.
"""

from __future__ import annotations

import os
import posixpath
from typing import Protocol


def is_event_file(name: str) -> bool:
    return "tfevents" in name


class Storage(Protocol):
    def exists(self, path: str) -> bool: ...
    def event_files(self, root: str) -> list[str]: ...
    def size(self, path: str) -> int: ...
    def read_from(self, path: str, offset: int) -> bytes: ...
    def read_ranges(self, path: str, ranges: list[tuple[int, int]]) -> list[bytes]: ...
    keeps_payloads: bool
    def relpath(self, path: str, root: str) -> str: ...
    def dirname(self, path: str) -> str: ...


class LocalStorage:
    def exists(self, path: str) -> bool:
        return os.path.isdir(path)

    def event_files(self, root: str) -> list[str]:
        found = []
        for directory, dirs, files in os.walk(root, followlinks=True):
            dirs.sort()
            found.extend(os.path.join(directory, f) for f in sorted(files) if is_event_file(f))
        return found

    def size(self, path: str) -> int:
        try:
            return os.stat(path).st_size
        except FileNotFoundError:
            return 0

    def read_from(self, path: str, offset: int) -> bytes:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()

    # Re-reading a local file is cheap, so set-aside records are kept by position, not in memory.
    keeps_payloads = False

    def read_ranges(self, path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """The bytes at each (start, size) of one file (short where the file ends)."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            if hasattr(os, "pread"):
                return [os.pread(fd, size, start) for start, size in ranges]
            out = []
            for start, size in ranges:
                os.lseek(fd, start, os.SEEK_SET)
                out.append(os.read(fd, size))
            return out
        finally:
            os.close(fd)

    def relpath(self, path: str, root: str) -> str:
        rel = os.path.relpath(path, root)
        return "." if rel == "." else rel.replace(os.sep, "/")

    dirname = staticmethod(os.path.dirname)


class FsspecStorage:
    # A remote re-read is a request per record: set-aside records keep their bytes in memory.
    keeps_payloads = True

    def __init__(self, url: str, **options) -> None:
        import fsspec

        self.fs, _ = fsspec.core.url_to_fs(url, **options)
        self.protocol = url.split("://", 1)[0]

    def _strip(self, path: str) -> str:
        return self.fs._strip_protocol(path)

    def exists(self, path: str) -> bool:
        return self.fs.isdir(self._strip(path))

    def event_files(self, root: str) -> list[str]:
        self.fs.invalidate_cache()
        paths = self.fs.find(self._strip(root))
        return sorted(p for p in paths if is_event_file(posixpath.basename(p)))

    def size(self, path: str) -> int:
        try:
            return int(self.fs.info(path)["size"])
        except FileNotFoundError:
            return 0

    def read_from(self, path: str, offset: int) -> bytes:
        size = self.size(path)
        if size <= offset:
            return b""
        return self.fs.cat_file(path, start=offset, end=size)

    def read_ranges(self, path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        return [self.fs.cat_file(path, start=start, end=start + size) for start, size in ranges]

    def relpath(self, path: str, root: str) -> str:
        rel = posixpath.relpath(path, self._strip(root))
        return "." if rel == "." else rel

    dirname = staticmethod(posixpath.dirname)


def storage_for(path: str, **options) -> Storage:
    if "://" in path and not path.startswith("file://"):
        return FsspecStorage(path, **options)
    return LocalStorage()
