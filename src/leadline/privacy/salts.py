"""Daily salts: one per UTC day, kept in the metadata store, destroyed 48 hours after their day began.

Yesterday's salt is kept only so that a session crossing midnight continues under its old visitor id.
"""

from __future__ import annotations

import secrets
import threading
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from leadline.store.metadata.tables import salts

SALT_BYTES = 32
_EPOCH_DAY = date(1970, 1, 1)


class SaltStore:
    """Today's and yesterday's salts, cached in memory, created and destroyed as days pass."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
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
            with self._engine.begin() as connection:
                connection.execute(delete(salts).where(salts.c.day < day - timedelta(days=1)))
            today = self._get_or_create(day)
            with self._engine.connect() as connection:
                yesterday = connection.execute(
                    select(salts.c.salt).where(salts.c.day == day - timedelta(days=1))
                ).scalar_one_or_none()
            self._today, self._yesterday, self._cached_day = today, yesterday, day
            self._cached_day_number = (day - _EPOCH_DAY).days

    def _get_or_create(self, day: date) -> bytes:
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(salts).values(day=day, salt=secrets.token_bytes(SALT_BYTES)))
        except IntegrityError:
            pass  # another process created today's salt first: use theirs
        with self._engine.connect() as connection:
            salt: bytes = connection.execute(select(salts.c.salt).where(salts.c.day == day)).scalar_one()
        return salt
