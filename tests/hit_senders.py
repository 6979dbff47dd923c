"""Concurrent senders of collector hits, each hit named by a pathname of its own (`/w<sender>/<n>`), for tests that
crash or starve a server under load and then check the store against what the collector acknowledged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ORIGIN = "https://shop.example"


def browser_headers(sender: int) -> dict[str, str]:
    return {"User-Agent": BROWSER, "Origin": ORIGIN}


@dataclass(frozen=True)
class Answer:
    """One hit sent: its pathname, the collector's status (None: no answer, the connection failed), and when."""

    path: str
    status: int | None
    sent_at: float  # time.monotonic()
    answered_at: float


class HitSenders:
    """`count` threads, each with its own HTTP client, POSTing hits one after another until stopped.

    A sender whose request gets no answer at all stops: the server is gone (killed), and a retry would only
    fill the list of answers with more failures.
    """

    def __init__(
        self,
        collector_url: str,
        site_id: str,
        count: int = 4,
        headers: Callable[[int], dict[str, str]] = browser_headers,
        most_per_sender: int = 100_000,
        timeout: float = 5,
    ) -> None:
        self._url = collector_url
        self._site_id = site_id
        self._headers = headers
        self._most = most_per_sender
        self._timeout = timeout
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._answers: list[Answer] = []
        self._threads = [threading.Thread(target=self._send, args=(sender,), daemon=True) for sender in range(count)]

    def __enter__(self) -> HitSenders:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join()

    def join(self) -> None:
        """Wait until every sender has stopped by itself (the server is gone)."""
        for thread in self._threads:
            thread.join()

    @property
    def answers(self) -> list[Answer]:
        with self._lock:
            return list(self._answers)

    @property
    def acknowledged(self) -> set[str]:
        """The pathnames of the hits the collector accepted (202)."""
        return {answer.path for answer in self.answers if answer.status == 202}

    def sent(self) -> set[str]:
        return {answer.path for answer in self.answers}

    def wait_for_acknowledged(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            if time.monotonic() > deadline or not any(thread.is_alive() for thread in self._threads):
                return False
            time.sleep(0.02)
        return True

    def _send(self, sender: int) -> None:
        with httpx.Client(timeout=self._timeout, headers=self._headers(sender)) as client:
            for number in range(self._most):
                if self._stopping.is_set():
                    return
                path = f"/w{sender}/{number}"
                sent_at = time.monotonic()
                try:
                    status: int | None = client.post(
                        self._url, json={"site": self._site_id, "url": ORIGIN + path}
                    ).status_code
                except httpx.TransportError:
                    status = None
                with self._lock:
                    self._answers.append(Answer(path, status, sent_at, time.monotonic()))
                if status is None:
                    return
