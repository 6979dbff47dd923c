"""Daily salts for bulk loading: derived from a seed per UTC day, in memory, instead of the metadata store's."""

from __future__ import annotations

import hashlib
from datetime import datetime

from leadline.collect.sessions import SESSION_IDLE_SECONDS
from leadline.privacy.salts import SALT_BYTES

DAY = 86400


class SeededSalts:
    """Answers `salts_for` like privacy.salts.SaltStore (a `steps.SaltSource` too), from a seed.

    Loaded history is synthetic, so its salts need not be secret; deriving them keeps a bulk load
    independent of the metadata store and reproducible in its visitor ids.

    Yesterday's salt only serves to continue a session begun yesterday, so it is offered only while one
    can still be open: until 30 idle minutes after midnight or after the latest hit that continued one
    (reported with `continued`). Later, the pipeline's session step would ignore it anyway; leaving it out
    spares the second visitor hash on almost every hit and changes no stored row.
    """

    def __init__(self, seed: int | str) -> None:  # nothing is stored
        self._seed = str(seed)
        self._day = -1
        self._with_yesterday: tuple[bytes, bytes | None] = (b"", None)
        self._without_yesterday: tuple[bytes, bytes | None] = (b"", None)
        self._yesterday_open_until: dict[int, float] = {}  # by day: while a session under yesterday's id may be open

    def salts_for(self, unix_time: float) -> tuple[bytes, bytes | None]:
        day = int(unix_time // DAY)
        if day != self._day:
            today = self._salt(day)
            self._with_yesterday, self._without_yesterday = (today, self._salt(day - 1)), (today, None)
            self._day = day
        open_until = self._yesterday_open_until.get(day)
        if open_until is None:
            open_until = self._yesterday_open_until[day] = day * DAY + SESSION_IDLE_SECONDS
        return self._with_yesterday if unix_time <= open_until else self._without_yesterday

    def continued(self, unix_time: float) -> None:
        """A hit at `unix_time` continued a session begun the UTC day before."""
        day = int(unix_time // DAY)
        self._yesterday_open_until[day] = max(
            self._yesterday_open_until.get(day, 0.0), unix_time + SESSION_IDLE_SECONDS
        )

    def rotate(self, now: datetime) -> None:
        """Nothing to create or destroy."""

    def _salt(self, day: int) -> bytes:
        message = f"{self._seed}\x1f{day}".encode()
        return hashlib.blake2b(message, digest_size=SALT_BYTES, person=b"leadline-traffic").digest()
