"""Daily salts: one per UTC day, kept in the metadata store, destroyed 48 hours after their day began.

Yesterday's salt is kept only so that a session crossing midnight continues under its old visitor id.
"""

from __future__ import annotations

import secrets
import threading
from datetime import date, datetime, timedelta

from leadline.privacy.visitor_hash import forget_salts
from leadline.store.metadata.salts import SaltRepository

SALT_BYTES = 32
_EPOCH_DAY = date(1970, 1, 1)


class SaltStore:
    """Today's and yesterday's salts, cached in memory, created and destroyed as days pass."""

    def __init__(self, repository: SaltRepository) -> None:
        self._repository = repository
        self._lock = threading.Lock()
        self._cached_day: date | None = None
        self._cached_day_number = -1
        self._today: bytes = b""
        self._yesterday: bytes | None = None

    def salts_for(self, unix_time: float) -> tuple[bytes, bytes | None]:
        """(today's salt, yesterday's salt or None) for the UTC day of `unix_time`."""
        day_number = int(unix_time // 86400)
        if day_number != self._cached_day_number:
            self._load(_EPOCH_DAY + timedelta(days=day_number))
        return self._today, self._yesterday

    def rotate(self, now: datetime) -> None:
        """Make sure today's salt exists and destroy every salt older than yesterday's."""
        self._load(now.date())

    def _load(self, day: date) -> None:
        with self._lock:
            if day == self._cached_day:
                return
            yesterday = day - timedelta(days=1)
            self._repository.delete_before(yesterday)
            today = self._repository.get_or_create(day, secrets.token_bytes(SALT_BYTES))
            self._today, self._yesterday, self._cached_day = today, self._repository.get(yesterday), day
            forget_salts()  # no copy of a destroyed salt stays in memory
            self._cached_day_number = (day - _EPOCH_DAY).days
