"""Each worker's own spool directory, `spool/<n>`, claimed with an exclusive lock on `spool/<n>.lock`.

A worker takes the lowest free number, so a restarted worker takes back the directory a dead one left (and
replays what is in it at start); the lock is the kernel's (flock), released when its holder exits however
it exits. Directories nobody holds (fewer workers than before) are found by `unclaimed_slots`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MOST_SLOTS = 1024  # far above any worker count; a bound that stops a runaway loop


@dataclass
class SpoolSlot:
    """A claimed spool directory; the claim lasts until `release()` or the end of the process."""

    index: int
    directory: Path
    _lock_fd: int | None

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the only descriptor of the lock file drops the flock
            self._lock_fd = None


def try_claim(root: Path, index: int) -> SpoolSlot | None:
    """Slot `index` under `root` if no process (this one included) holds it, else None."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / f"{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    directory = root / str(index)
    directory.mkdir(mode=0o700, exist_ok=True)
    return SpoolSlot(index, directory, fd)


def claim_spool_slot(root: Path) -> SpoolSlot:
    """The lowest-numbered slot no process holds."""
    for index in range(MOST_SLOTS):
        slot = try_claim(root, index)
        if slot is not None:
            return slot
    raise OSError(f"all {MOST_SLOTS} spool directories under {root} are held")


def unclaimed_slots(root: Path) -> Iterator[SpoolSlot]:
    """Each existing spool directory that no process holds, claimed while the caller uses it; released after."""
    if not root.is_dir():
        return
    indexes = sorted(int(path.name) for path in root.iterdir() if path.is_dir() and path.name.isdigit())
    for index in indexes:
        slot = try_claim(root, index)
        if slot is None:
            continue
        try:
            yield slot
        finally:
            slot.release()
