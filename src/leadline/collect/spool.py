"""The spool: append-only segment files where a hit is made durable before it is acknowledged.

An append copies the record into the current segment, a file mapped into memory (MAP_SHARED): the copy
lands in the OS page cache itself, so an acknowledged hit survives the process being killed, as a write(2)
would, without a system call per hit (a write(2) also let the event loop's GIL go to another thread).
Each segment's space is reserved when it opens (posix_fallocate), so a full disk refuses the segment, never
a store into the mapping. A background task fsyncs every few milliseconds (group commit; fdatasync also
writes pages dirtied through the mapping), which bounds what a power loss could take; with
`fsync_before_ack` an append also waits for that fsync. A segment is retired after `max_records` hits,
`max_age` seconds, or when its space is used up; it is then cut to the records it holds, fsynced, renamed
`.seg`, and the flusher moves it to the event store. Reading a segment stops at its first unwritten frame
(zeros) or torn record (a crash mid-copy: never acknowledged).

The spool refuses what it cannot keep: past `max_bytes` of segments not yet stored (the event store is
down, say) or with less than `min_free_bytes` left on its disk, `full_reason()` says why, and the
collector answers 503 instead of appending. Its size is counted in memory (written here, removed by the
flusher) and the free space is read every sync tick, so the check costs the hot path two comparisons.

Records are also kept in memory, per segment, until the flusher has stored them (up to `kept_records_limit`
records), with the rows appended with `append_row`: reading a segment back and decoding it took the flusher's
thread about as long as storing it, holding the GIL the event loop needs. The flusher hands both to the event
store (DuckDB parses the records itself, outside the GIL; ClickHouse's driver takes the rows). The file stays
the truth; the memory is a copy of what it holds, and a segment without one (a previous run's, or one past
the limit) is read from disk.
"""

import asyncio
import contextlib
import logging
import mmap
import os
import struct
import time
import zlib
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path

from leadline.store.events.base import HitRow
from leadline.store.events.spooled_rows import SpooledBatch, encode_row

logger = logging.getLogger("leadline.spool")

_FRAME = struct.Struct("<II")  # payload length, CRC-32 of the payload
OPEN_SUFFIX, CLOSED_SUFFIX = ".open", ".seg"
# Space reserved for a segment as it opens: 5,000 hits (the default `max_records`) of up to ~1.6 kB each.
SEGMENT_BYTES = 8 << 20


def frame(record: bytes) -> bytes:
    return _FRAME.pack(len(record), zlib.crc32(record)) + record


def read_records(path: Path) -> Iterator[bytes]:
    """The intact records of a segment, in order, stopping at the first torn or corrupt one."""
    data = path.read_bytes()
    for start, end in _record_spans(data, path.name):
        yield data[start:end]


def intact_length(data: bytes, name: str) -> int:
    """Bytes of segment `name` (`data`) up to the end of its last intact record: what an open segment holds."""
    return max((end for _, end in _record_spans(data, name)), default=0)


def _record_spans(data: bytes, name: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each intact record's payload in a segment's bytes, stopping at the first frame that is
    unwritten (a length of 0: the reserved space of a segment still open, or left open by a crash) or torn."""
    offset = 0
    while offset + _FRAME.size <= len(data):
        length, checksum = _FRAME.unpack_from(data, offset)
        if length == 0:  # no record is empty: this is space reserved and not written yet
            return
        start, end = offset + _FRAME.size, offset + _FRAME.size + length
        if end > len(data) or zlib.crc32(data[start:end]) != checksum:
            logger.warning("segment %s ends with a torn record after %d bytes", name, offset)
            return
        yield start, end
        offset = end


class SpoolClosedError(RuntimeError):
    pass


SPOOL_FULL, DISK_FULL = "spool_full", "disk_full"  # why full_reason() refuses (drop reasons of the same names)


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def _reserve(fd: int, size: int) -> None:
    """Make the file `size` bytes long with its blocks allocated (where the OS cannot, at least long: macOS)."""
    if hasattr(os, "posix_fallocate"):
        os.posix_fallocate(fd, 0, size)
    else:  # a sparse file: a full disk would then show as SIGBUS on a store into the mapping
        os.ftruncate(fd, size)


def free_disk_bytes(directory: Path) -> int:
    """Bytes an unprivileged process can still write on the file system holding `directory`."""
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize


@dataclass(frozen=True)
class Backlog:
    """Segments not yet in the event store: how many, their bytes, and how long the oldest has waited."""

    segments: int
    size_bytes: int
    oldest_age_seconds: float  # 0.0 when there is none


def segment_created_at(path: Path) -> float | None:
    """The creation time a segment's name records (`<time_ns>-<pid>`), or None for a name of another form."""
    stamp = path.name.partition("-")[0]
    return int(stamp) / 1e9 if stamp.isdigit() else None


def oldest_spooled(root: Path) -> float | None:
    """When the oldest segment under `root` (every worker's spool directory) was created: no hit waiting in a
    spool is older. None when no segment waits."""
    oldest: float | None = None
    for path in root.rglob("*"):
        if path.suffix not in (OPEN_SUFFIX, CLOSED_SUFFIX):
            continue
        created = segment_created_at(path)
        if created is None:
            try:
                created = path.stat().st_mtime
            except FileNotFoundError:  # flushed between listing and looking
                continue
        oldest = created if oldest is None else min(oldest, created)
    return oldest


class Spool:
    def __init__(
        self,
        directory: Path,
        max_records: int = 5000,
        max_age: float = 1.0,
        fsync_interval: float = 0.005,
        fsync_before_ack: bool = False,
        max_bytes: int | None = None,
        min_free_bytes: int = 0,
        kept_records_limit: int | None = None,
        segment_bytes: int = SEGMENT_BYTES,
    ) -> None:
        self.directory = directory
        self.max_records = max_records
        self.max_age = max_age
        self.fsync_interval = fsync_interval
        self.fsync_before_ack = fsync_before_ack
        self.max_bytes = max_bytes  # None: no limit
        self.min_free_bytes = min_free_bytes
        self.segment_bytes = segment_bytes
        self._fd: int | None = None
        self._path: Path | None = None
        self._map: mmap.mmap | None = None  # the open segment, mapped
        self._records_in_segment = 0
        self._segment_bytes = 0  # bytes of records in the open segment: where the next one goes
        # Bytes in segments not yet stored = found at recovery + written since - removed by the flusher. The
        # event loop alone adds and the flusher alone removes, so neither counter needs a lock.
        self._found_bytes = 0
        self._written_bytes = 0
        self.removed_bytes = 0
        self._free_bytes = -1  # free disk space at the last check, -1 before the first; see _check_disk
        self._written_at_check = 0
        self._segment_opened_at = 0.0
        # Written, waiting to be cut to their records' length and fsynced before renaming: (fd, path, length).
        self._retiring: list[tuple[int, Path, int]] = []
        # Bytes of records in segments whose files are still longer (space reserved): retired, not yet cut.
        self._uncut: dict[Path, int] = {}
        self._dirty = False
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._syncer: asyncio.Task[None] | None = None
        self._closed = False
        # Records of the open segment, then of retired segments by name (stem) until removed; see the module
        # doc. By default a few segments' worth: what the flusher meets while the event store keeps up.
        self.kept_records_limit = 4 * max_records if kept_records_limit is None else kept_records_limit
        self._open_records: list[bytes] | None = None  # None: this segment is not kept (no room)
        self._open_rows: list[HitRow] | None = None  # None: not kept, or a record was appended as bytes
        self._kept: dict[str, SpooledBatch] = {}  # the event loop adds segments, the flusher's `remove` takes them

    def recover(self) -> None:
        """Close segments left open by a crash: everything in them that was acknowledged is in the file, the
        space reserved after it is given back."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in sorted(self.directory.glob("*" + OPEN_SUFFIX)):
            os.truncate(leftover, intact_length(leftover.read_bytes(), leftover.name))
            leftover.rename(leftover.with_suffix(CLOSED_SUFFIX))
        self._found_bytes = self.backlog().size_bytes
        self._written_bytes = self.removed_bytes = 0
        self._check_disk()

    def start(self) -> None:
        self.recover()
        self._syncer = asyncio.create_task(self._sync_loop(), name="spool-sync")

    @property
    def accepting(self) -> bool:
        """Started and not closed: appends will be taken."""
        return self._syncer is not None and not self._closed

    @property
    def size_bytes(self) -> int:
        """Bytes of segments not yet stored (open and closed), as counted since recovery."""
        return self._found_bytes + self._written_bytes - self.removed_bytes

    def full_reason(self) -> str | None:
        """SPOOL_FULL past `max_bytes`, DISK_FULL below `min_free_bytes` of free disk; None while there is room."""
        if self.max_bytes is not None and self.size_bytes >= self.max_bytes:
            return SPOOL_FULL
        # Free space as last read, less what was written since: a burst between two reads is counted too.
        if 0 <= self._free_bytes - (self._written_bytes - self._written_at_check) < self.min_free_bytes:
            return DISK_FULL
        return None

    def remove(self, segment: Path) -> None:
        """Delete a closed segment once its hits are stored (the flusher's part of the size count)."""
        size = segment.stat().st_size
        segment.unlink()
        self.removed_bytes += size
        self._kept.pop(segment.stem, None)

    def kept(self, segment: Path) -> SpooledBatch | None:
        """What a closed segment holds as appended, if kept; None: read the file."""
        return self._kept.get(segment.stem)

    def append_row(self, row: HitRow) -> Awaitable[None] | None:
        """`append` of the row's record (`encode_row`), keeping the row too while the segment is kept.

        Give a tuple of plain values (str, int, bool): the garbage collector stops tracking those, so the
        rows kept add nothing to its work.
        """
        return self._append(encode_row(row), row)

    def append(self, record: bytes) -> Awaitable[None] | None:
        """Write `record` to the spool file; with `fsync_before_ack`, an awaitable that ends after its fsync."""
        return self._append(record, None)

    def _append(self, record: bytes, row: HitRow | None) -> Awaitable[None] | None:
        if self._closed:
            raise SpoolClosedError("the spool is closed")
        data = frame(record)
        written = len(data)
        start = self._segment_bytes
        if self._map is not None and start + written > len(self._map):
            self._retire_segment()  # its space is used up
        if self._map is None:
            self._open_segment(written)
            start = 0
        segment = self._map
        if segment is None:
            raise OSError("no spool segment")
        segment[start : start + written] = data  # into the page cache: no system call, the GIL kept
        self._segment_bytes = start + written
        self._written_bytes += written
        self._records_in_segment += 1
        self._dirty = True
        if self._open_records is not None:
            self._open_records.append(record)
            if self._open_rows is not None:
                if row is not None:
                    self._open_rows.append(row)
                else:  # rows are kept for a whole segment or not at all
                    self._open_rows = None
        if self._records_in_segment >= self.max_records:
            self._retire_segment()
        if not self.fsync_before_ack:
            return None
        done = asyncio.get_running_loop().create_future()
        self._waiters.append(done)
        self._wake.set()
        return done

    async def close(self) -> None:
        """Retire the current segment and fsync everything; afterwards every segment is closed."""
        if self._closed:
            return
        self._closed = True
        self._retire_segment()
        self._wake.set()
        if self._syncer is not None:
            await self._syncer
        else:
            await self._sync()

    def closed_segments(self) -> list[Path]:
        return sorted(self.directory.glob("*" + CLOSED_SUFFIX))

    def backlog(self) -> Backlog:
        """What is waiting for the flusher, read from the directory (so it also counts a crashed run's segments)."""
        now = time.time()
        segments, size, oldest = 0, 0, now
        # The open segment's file, and retired ones not yet cut, are as long as the space they reserved.
        records_bytes = {**self._uncut, **({self._path: self._segment_bytes} if self._path is not None else {})}
        # One listing, not one per suffix: a segment renamed from .open to .seg meanwhile is counted once.
        for path in self.directory.glob("*"):
            if path.suffix not in (OPEN_SUFFIX, CLOSED_SUFFIX):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # flushed (or renamed) between listing and looking
                continue
            segments += 1
            size += records_bytes.get(path, stat.st_size)
            created = segment_created_at(path)
            oldest = min(oldest, stat.st_mtime if created is None else created)
        return Backlog(segments, size, max(0.0, now - oldest) if segments else 0.0)

    async def _sync_loop(self) -> None:
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.fsync_interval)
            self._wake.clear()
            if self._fd is not None and time.monotonic() - self._segment_opened_at >= self.max_age:
                self._retire_segment()
            self._check_disk()
            await self._sync()
        await self._sync()

    def _check_disk(self) -> None:
        if not self.min_free_bytes:
            return
        try:
            self._free_bytes = free_disk_bytes(self.directory)
        except OSError as error:  # unknown is not full: a failing write answers 503 by itself
            logger.warning("cannot read the spool's free disk space: %s", error)
            self._free_bytes = -1
        self._written_at_check = self._written_bytes

    async def _sync(self) -> None:
        if not (self._dirty or self._retiring or self._waiters):
            return
        current, retiring, waiters = self._fd, self._retiring, self._waiters
        self._retiring, self._waiters, self._dirty = [], [], False
        try:
            await asyncio.to_thread(self._fsync, current, retiring)
        except OSError as error:
            logger.error("spool fsync failed: %s", error)
            for done in waiters:
                if not done.done():
                    done.set_exception(error)
            return
        for _, path, _ in retiring:
            self._uncut.pop(path, None)  # cut, and renamed
        for done in waiters:
            if not done.done():
                done.set_result(None)

    @staticmethod
    def _fsync(current: int | None, retiring: list[tuple[int, Path, int]]) -> None:
        # fdatasync: the records and the file's length reach the disk; its times, which no reader needs, do not.
        for fd, path, length in retiring:
            os.ftruncate(fd, length)  # the reserved space past the records is given back
            _datasync(fd)
            os.close(fd)
            path.rename(path.with_suffix(CLOSED_SUFFIX))
        if current is not None:
            _datasync(current)

    def _open_segment(self, first_frame_bytes: int) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}{OPEN_SUFFIX}"
        path = self.directory / name
        size = max(self.segment_bytes, first_frame_bytes)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            # Reserved now, so that no store into the mapping can meet a full disk (that would be SIGBUS).
            _reserve(fd, size)
            self._map = mmap.mmap(fd, size)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        self._fd, self._path = fd, path
        self._records_in_segment = 0
        self._segment_bytes = 0
        self._segment_opened_at = time.monotonic()
        # Decided once per segment, counting what the flusher has not taken yet (list(): it removes meanwhile):
        # a segment is kept whole or not at all, so the flusher never takes part of it for all of it.
        kept = sum(len(batch) for batch in list(self._kept.values()))
        keep = kept + self.max_records <= self.kept_records_limit
        self._open_records, self._open_rows = ([], []) if keep else (None, None)

    def _retire_segment(self) -> None:
        if self._fd is None or self._path is None:
            return
        if self._open_records is not None:  # kept before the rename to .seg: the flusher finds it with the file
            self._kept[self._path.stem] = SpooledBatch(self._open_records, self._open_rows)
            self._open_records = self._open_rows = None
        if self._map is not None:
            self._map.close()  # what was copied in stays in the page cache, and the fsync writes it
            self._map = None
        self._retiring.append((self._fd, self._path, self._segment_bytes))
        self._uncut[self._path] = self._segment_bytes
        self._fd, self._path = None, None
        self._wake.set()
