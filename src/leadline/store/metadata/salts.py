"""Daily visitor-hash salts: one row per UTC day; what a salt is and when it goes is the privacy side's rule."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, delete, insert, select
from sqlalchemy.exc import IntegrityError

from leadline.store.metadata.tables import salts


def _salt_of(day: date) -> Select[Any]:
    return select(salts.c.salt).where(salts.c.day == day)


class SaltRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_or_create(self, day: date, candidate: bytes) -> bytes:
        """The day's salt: `candidate` if the day had none, else the one stored first (safe across processes)."""
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(salts).values(day=day, salt=candidate))
        except IntegrityError:
            pass  # another process created the day's salt first: use theirs
        with self._engine.connect() as connection:
            salt: bytes = connection.execute(_salt_of(day)).scalar_one()
        return salt

    def get(self, day: date) -> bytes | None:
        with self._engine.connect() as connection:
            salt: bytes | None = connection.execute(_salt_of(day)).scalar_one_or_none()
        return salt

    def delete_before(self, day: date) -> None:
        """Destroy the salts of every day before `day`."""
        with self._engine.begin() as connection:
            connection.execute(delete(salts).where(salts.c.day < day))
