"""The few primitives where the sync and async clients really differ, as pairs of twins.

The async clients in `_async/` use the `async_*` / `Async*` names; scripts/unasync_client.py maps each to its
twin here when it generates `_sync/`. Anything that unasync's token renaming can express stays out of this module.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import anyio

Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]

# The defaults of the clients' `sleep` option: tests inject a recorder instead.
sync_sleep: Sleep = time.sleep
async_sleep: AsyncSleep = asyncio.sleep

# One token request at a time: among the threads sharing a sync client, or the tasks sharing an async one.
SyncLock = threading.Lock
AsyncLock = asyncio.Lock


def sync_write_file(path: Path, chunks: Iterator[bytes]) -> None:
    """Write `chunks` to `path`, replacing what it held."""
    with path.open("wb") as file:
        for chunk in chunks:
            file.write(chunk)


async def async_write_file(path: Path, chunks: AsyncIterator[bytes]) -> None:
    """Write `chunks` to `path`, replacing what it held, in a worker thread so the event loop never blocks on disk."""
    async with await anyio.open_file(path, "wb") as file:
        async for chunk in chunks:
            await file.write(chunk)
