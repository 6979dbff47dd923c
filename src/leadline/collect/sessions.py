"""Sessions: a visitor's hits belong to one session until 30 minutes pass without a hit (or 24 hours pass).

A session's id is the Unix second it started: with the visitor id it names the session uniquely (a
visitor cannot start two sessions in one second), it survives restarts, reports can tell from any hit
when its session started, and it compresses to a couple of bytes per hit (random ids take eight).
The 24-hour cap bounds how far a report must look past its range to see a session's last hit.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Iterable
from typing import Protocol

SESSION_IDLE_SECONDS = 30 * 60
SESSION_MAX_SECONDS = 24 * 60 * 60

# (site, visitor, session, first hit, last hit as Unix time, has a pageview): what the event store remembers.
RestoredSession = tuple[str, int, int, float, float, bool]
# (visitor id, session id, entry): the visitor id is yesterday's when the hit continues yesterday's session.
Assignment = tuple[int, int, bool]


class Sessions(Protocol):
    """What the collector needs of a session tracker: this process's `SessionTracker`, or one shared by workers."""

    def assign(
        self, site_id: str, visitor_id: int, previous_visitor_id: int | None, now: float, pageview: bool = True
    ) -> Assignment | Awaitable[Assignment]:
        """(visitor id, session id, entry) of a hit at `now`; entry marks the session's first pageview.

        An awaitable of it where the answer takes I/O (a shared tracker): the collector awaits it, and only
        the collector may be given such a tracker (bulk loads run their steps without an event loop).
        """
        ...

    def restore(self, sessions: Iterable[RestoredSession]) -> None:
        """Resume sessions open when the server stopped (a newer state already held is kept)."""
        ...

    def prune(self, now: float) -> int:
        """Forget ended sessions; how many were forgotten (0 where they expire by themselves)."""
        ...


class SessionTracker:
    """(site, visitor) -> (session id, first hit, last hit, seen a pageview), in memory, pruned as sessions end."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, int], tuple[int, float, float, bool]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _open(session: tuple[int, float, float, bool] | None, now: float) -> bool:
        if session is None:
            return False
        _, first_seen, last_seen, _ = session
        return now - last_seen <= SESSION_IDLE_SECONDS and now - first_seen < SESSION_MAX_SECONDS

    def assign(
        self, site_id: str, visitor_id: int, previous_visitor_id: int | None, now: float, pageview: bool = True
    ) -> Assignment:
        """(visitor id, session id, entry) of a hit at `now`; entry marks the session's first pageview.

        A session open under yesterday's visitor id continues under it.
        """
        with self._lock:
            key = (site_id, visitor_id)
            if previous_visitor_id is not None and self._open(self._sessions.get((site_id, previous_visitor_id)), now):
                key = (site_id, previous_visitor_id)
            session = self._sessions.get(key)
            if session is None or not self._open(session, now):
                session = (int(now), now, now, False)
            session_id, first_seen, last_seen, entered = session
            self._sessions[key] = (session_id, first_seen, max(now, last_seen), entered or pageview)
            return key[1], session_id, pageview and not entered

    def restore(self, sessions: Iterable[RestoredSession]) -> None:
        """Resume sessions open when the server stopped: (site, visitor, session, first hit, last hit, entered)."""
        with self._lock:
            for site_id, visitor_id, session_id, first_seen, last_seen, entered in sessions:
                self._sessions[(site_id, visitor_id)] = (session_id, first_seen, last_seen, entered)

    def prune(self, now: float) -> int:
        """Forget ended sessions; how many were forgotten."""
        with self._lock:
            ended = [key for key, session in self._sessions.items() if not self._open(session, now)]
            for key in ended:
                del self._sessions[key]
        return len(ended)

    def __len__(self) -> int:
        return len(self._sessions)
