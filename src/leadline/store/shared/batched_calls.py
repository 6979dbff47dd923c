"""Blocking round trips off the event loop, several requests per trip: a request waits for the next batch.

Requests made on the event loop while a batch is away are sent together as the next one, on a thread of
their own, so the loop never waits on the network and a busy server pays one round trip per batch instead
of one per request. At most one batch is away at a time: batches stay in the order of their requests, and
under load they grow by themselves (their size is capped, so one trip never holds the other side long).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future as ThreadFuture
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

Request = TypeVar("Request")
Answer = TypeVar("Answer")
Batch = list[tuple[Request, asyncio.Future[Answer]]]
Sent = ThreadFuture[Sequence[Answer]]


class CallsClosedError(OSError):
    """Asked after `close` (the process is stopping): an OSError, which the collector answers with 503."""


class BatchedCalls(Generic[Request, Answer]):
    """`call(request)` on an event loop: awaits `send(batch)[i]`, where `send` answers a whole batch in order.

    An exception `send` raises is every request's of that batch.
    """

    def __init__(self, send: Callable[[Sequence[Request]], Sequence[Answer]], max_batch: int, name: str) -> None:
        self._send = send
        self._max_batch = max_batch
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queued: Batch[Request, Answer] = []
        self._away = False
        self._closed = False

    def call(self, request: Request) -> Awaitable[Answer]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests run several): what waited on the old one is gone with it
            self._loop, self._queued, self._away = loop, [], False
        answer: asyncio.Future[Answer] = loop.create_future()
        self._queued.append((request, answer))
        if not self._away:
            self._away = True
            # Sent once the loop has run what is ready now: the requests of this turn of the loop join it.
            loop.call_soon(self._send_next, loop)
        return answer

    def close(self) -> None:
        """Stop sending, once the batch away (if any) has its answers; requests from now on fail."""
        self._closed = True
        self._thread.shutdown(wait=True)

    def _send_next(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            return  # the loop was replaced while this batch was away
        if not self._queued:
            self._away = False
            return
        if self._closed:
            for _, answer in self._queued:
                if not answer.done():
                    answer.set_exception(CallsClosedError("closed: the process is stopping"))
            self._queued, self._away = [], False
            return
        batch, self._queued = self._queued[: self._max_batch], self._queued[self._max_batch :]
        sent = self._thread.submit(self._send, [request for request, _ in batch])

        def answered(done: ThreadFuture[Sequence[Answer]]) -> None:
            # A closed loop raises RuntimeError: nobody waits for these answers any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._deliver, loop, batch, done)

        sent.add_done_callback(answered)

    def _deliver(self, loop: asyncio.AbstractEventLoop, batch: Batch[Request, Answer], done: Sent[Answer]) -> None:
        error = done.exception()
        for index, (_, answer) in enumerate(batch):
            if answer.done():  # its waiter was cancelled (the client went away)
                continue
            if error is not None:
                answer.set_exception(error)
            else:
                answer.set_result(done.result()[index])
        self._send_next(loop)
