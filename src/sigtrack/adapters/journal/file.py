"""`journal.jsonl` in a folder: appended under an exclusive lock (threads and processes),
fsync'd; read whole for a replay; lines that do not decode moved to `set-aside-*.jsonl`;
a replayed journal renamed `applied-*.jsonl` (kept: it is the record of what happened)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sigtrack.core.errors import StorageError
from sigtrack.core.journal import (
    TORN_MARK,
    BadLine,
    JournalContents,
    JournalEntry,
    decode,
    encode,
)

NAME = "journal.jsonl"
LOCK = ".journal.lock"


class JournalFile:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / NAME
        self._lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer or replayer at a time, in this process and across processes."""
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the lock

    def append(self, entry: JournalEntry) -> None:
        """Write one entry and wait until the disk has it (flush + fsync)."""
        line = encode(entry).encode("utf-8")
        try:
            with self._locked():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
                try:
                    _end_a_torn_line(fd, self.path)
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise StorageError(f"journal: cannot write {self.path}: {exc.strerror}") from exc

    def read(self) -> JournalContents:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return JournalContents(entries=(), bad=())
        return decode(text)

    @contextmanager
    def replaying(self) -> Iterator[JournalContents]:
        """The journal as it stands, locked against writers until the block ends; when it
        ends without an error the file is renamed `applied-<time>.jsonl` and the lines
        that did not decode are kept in `set-aside-<time>.jsonl`."""
        with self._locked():
            contents = self.read()
            yield contents
            if not self.path.exists():
                return
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            if contents.bad:
                self.set_aside(contents.bad, stamp)
            os.replace(self.path, self.folder / f"applied-{stamp}.jsonl")
            _sync_folder(self.folder)

    def set_aside(self, bad: Sequence[BadLine], stamp: str) -> Path:
        path = self.folder / f"set-aside-{stamp}.jsonl"
        with path.open("a", encoding="utf-8") as out:
            for line in bad:
                out.write(line.text + "\n")
            out.flush()
            os.fsync(out.fileno())
        return path

    def set_aside_files(self) -> list[Path]:
        return sorted(self.folder.glob("set-aside-*.jsonl")) if self.folder.exists() else []


def _end_a_torn_line(fd: int, path: Path) -> None:
    """A file whose last write was cut short gets TORN_MARK first: the torn line stays one
    bad line (even when its JSON happens to be whole) and the new entry starts its own."""
    size = os.fstat(fd).st_size
    if size == 0:
        return
    with path.open("rb") as f:
        f.seek(size - 1)
        if f.read(1) != b"\n":
            os.write(fd, TORN_MARK.encode() + b"\n")


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
