"""Sessions: a visitor's hits belong to one session until 30 minutes pass without a hit."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable

SESSION_IDLE_SECONDS = 30 * 60


class SessionTracker:
    """(site, visitor) -> (session id, last hit time), in memory, pruned as sessions end."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, int], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def assign(self, site_id: str, visitor_id: int, previous_visitor_id: int | None, now: float) -> tuple[int, int]:
        """(visitor id, session id) of a hit at `now`; a session open under yesterday's id continues."""
        with self._lock:
            if previous_visitor_id is not None:
                earlier = self._sessions.get((site_id, previous_visitor_id))
                if earlier is not None and now - earlier[1] <= SESSION_IDLE_SECONDS:
                    self._sessions[(site_id, previous_visitor_id)] = (earlier[0], max(now, earlier[1]))
                    return previous_visitor_id, earlier[0]
            current = self._sessions.get((site_id, visitor_id))
            if current is not None and now - current[1] <= SESSION_IDLE_SECONDS:
                session_id = current[0]
            else:
                session_id = secrets.randbits(63)
            self._sessions[(site_id, visitor_id)] = (session_id, max(now, current[1] if current else now))
            return visitor_id, session_id

    def restore(self, sessions: Iterable[tuple[str, int, int, float]]) -> None:
        """Resume sessions that were open when the server stopped (site, visitor, session, last hit)."""
        with self._lock:
            for site_id, visitor_id, session_id, last_seen in sessions:
                self._sessions[(site_id, visitor_id)] = (session_id, last_seen)

    def prune(self, now: float) -> int:
        """Forget ended sessions; how many were forgotten."""
        with self._lock:
            ended = [key for key, (_, last) in self._sessions.items() if now - last > SESSION_IDLE_SECONDS]
            for key in ended:
                del self._sessions[key]
        return len(ended)

    def __len__(self) -> int:
        return len(self._sessions)
