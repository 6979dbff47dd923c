"""Sessions: a visitor's hits belong to one session until 30 minutes pass without a hit (or 24 hours pass).

A session's id is the Unix second it started: with the visitor id it names the session uniquely (a
visitor cannot start two sessions in one second), it survives restarts, reports can tell from any hit
when its session started, and it compresses to a couple of bytes per hit (random ids take eight).
The 24-hour cap bounds how far a report must look past its range to see a session's last hit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

SESSION_IDLE_SECONDS = 30 * 60
SESSION_MAX_SECONDS = 24 * 60 * 60


class SessionTracker:
    """(site, visitor) -> (session id, first hit time, last hit time), in memory, pruned as sessions end."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, int], tuple[int, float, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _open(session: tuple[int, float, float] | None, now: float) -> bool:
        return (
            session is not None and now - session[2] <= SESSION_IDLE_SECONDS and now - session[1] < SESSION_MAX_SECONDS
        )

    def assign(self, site_id: str, visitor_id: int, previous_visitor_id: int | None, now: float) -> tuple[int, int]:
        """(visitor id, session id) of a hit at `now`; a session open under yesterday's id continues."""
        with self._lock:
            if previous_visitor_id is not None:
                earlier = self._sessions.get((site_id, previous_visitor_id))
                if earlier is not None and self._open(earlier, now):
                    self._sessions[(site_id, previous_visitor_id)] = (earlier[0], earlier[1], max(now, earlier[2]))
                    return previous_visitor_id, earlier[0]
            current = self._sessions.get((site_id, visitor_id))
            if current is not None and self._open(current, now):
                self._sessions[(site_id, visitor_id)] = (current[0], current[1], max(now, current[2]))
                return visitor_id, current[0]
            session_id = int(now)
            self._sessions[(site_id, visitor_id)] = (session_id, now, now)
            return visitor_id, session_id

    def restore(self, sessions: Iterable[tuple[str, int, int, float, float]]) -> None:
        """Resume sessions open when the server stopped: (site, visitor, session, first hit, last hit)."""
        with self._lock:
            for site_id, visitor_id, session_id, first_seen, last_seen in sessions:
                self._sessions[(site_id, visitor_id)] = (session_id, first_seen, last_seen)

    def prune(self, now: float) -> int:
        """Forget ended sessions; how many were forgotten."""
        with self._lock:
            ended = [key for key, session in self._sessions.items() if not self._open(session, now)]
            for key in ended:
                del self._sessions[key]
        return len(ended)

    def __len__(self) -> int:
        return len(self._sessions)
