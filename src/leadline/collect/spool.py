"""The spool: append-only segment files where a hit is made durable before it is acknowledged.

Appends are group-committed: every hit waiting while one fsync runs goes into the next write and fsync.
A segment is closed after `max_records` hits or `max_age` seconds; the flusher moves closed segments to
the event store. A torn record at the end of a segment (a crash mid-write) was never acknowledged, so
reading stops there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from leadline.store.events import Hit, HitKind

logger = logging.getLogger("leadline.spool")

_FRAME = struct.Struct("<II")  # payload length, CRC-32 of the payload
OPEN_SUFFIX, CLOSED_SUFFIX = ".open", ".seg"


def encode_hit(hit: Hit) -> bytes:
    values = [getattr(hit, name) for name in Hit.__dataclass_fields__]
    values[1] = int(hit.timestamp.replace(tzinfo=UTC).timestamp() * 1_000_000)
    values[2] = int(hit.kind)
    return orjson.dumps(values)


def decode_hit(record: bytes) -> Hit:
    values = orjson.loads(record)
    values[1] = datetime.fromtimestamp(values[1] / 1_000_000, UTC).replace(tzinfo=None)
    values[2] = HitKind(values[2])
    return Hit(*values)


def frame(record: bytes) -> bytes:
    return _FRAME.pack(len(record), zlib.crc32(record)) + record


def read_records(path: Path) -> Iterator[bytes]:
    """The intact records of a segment, in order, stopping at the first torn or corrupt one."""
    data = path.read_bytes()
    offset = 0
    while offset + _FRAME.size <= len(data):
        length, checksum = _FRAME.unpack_from(data, offset)
        start, end = offset + _FRAME.size, offset + _FRAME.size + length
        if end > len(data) or zlib.crc32(data[start:end]) != checksum:
            if end <= len(data) or offset + _FRAME.size + length > len(data):
                logger.warning("segment %s ends with a torn record after %d bytes", path.name, offset)
            return
        yield data[start:end]
        offset = end


class SpoolClosedError(RuntimeError):
    pass


class Spool:
    def __init__(self, directory: Path, max_records: int = 5000, max_age: float = 1.0) -> None:
        self.directory = directory
        self.max_records = max_records
        self.max_age = max_age
        self._queue: asyncio.Queue[tuple[bytes, asyncio.Future[None]] | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._fd: int | None = None
        self._path: Path | None = None
        self._records_in_segment = 0
        self._segment_opened_at = 0.0
        self._closed = False

    def recover(self) -> None:
        """Close segments left open by a crash: everything in them that was acknowledged is on disk."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in sorted(self.directory.glob("*" + OPEN_SUFFIX)):
            leftover.rename(leftover.with_suffix(CLOSED_SUFFIX))

    def start(self) -> None:
        self.recover()
        self._writer = asyncio.create_task(self._write_loop(), name="spool-writer")

    async def append(self, record: bytes) -> None:
        """Returns once `record` is on disk (fsync'd)."""
        if self._closed:
            raise SpoolClosedError("the spool is closed")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((record, done))
        await done

    async def close(self) -> None:
        """Write everything queued, then close the current segment."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        if self._writer is not None:
            await self._writer
        self._close_segment()

    def closed_segments(self) -> list[Path]:
        return sorted(self.directory.glob("*" + CLOSED_SUFFIX))

    async def _write_loop(self) -> None:
        while True:
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=self.max_age)
            except TimeoutError:
                self._rotate_if_due()
                continue
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            entries = [entry for entry in batch if entry is not None]
            if entries:
                await self._commit(entries)
            if len(entries) < len(batch):
                return
            self._rotate_if_due()

    async def _commit(self, entries: list[tuple[bytes, asyncio.Future[None]]]) -> None:
        data = b"".join(frame(record) for record, _ in entries)
        try:
            await asyncio.to_thread(self._write_and_sync, data)
        except OSError as error:
            logger.error("spool write failed: %s", error)
            for _, done in entries:
                if not done.done():
                    done.set_exception(error)
            return
        self._records_in_segment += len(entries)
        for _, done in entries:
            if not done.done():
                done.set_result(None)

    def _write_and_sync(self, data: bytes) -> None:
        if self._fd is None:
            self._open_segment()
        if self._fd is None:
            raise OSError("no spool segment")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)

    def _open_segment(self) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}{OPEN_SUFFIX}"
        self._path = self.directory / name
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._records_in_segment = 0
        self._segment_opened_at = time.monotonic()

    def _rotate_if_due(self) -> None:
        if self._fd is None:
            return
        if self._records_in_segment >= self.max_records or time.monotonic() - self._segment_opened_at >= self.max_age:
            self._close_segment()

    def _close_segment(self) -> None:
        if self._fd is None or self._path is None:
            return
        os.close(self._fd)
        with contextlib.suppress(FileNotFoundError):
            self._path.rename(self._path.with_suffix(CLOSED_SUFFIX))
        self._fd, self._path = None, None
