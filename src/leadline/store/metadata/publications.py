"""Stored publications: their signed facts and their frozen rows, kept as the exact canonical bytes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Engine, func, insert, select

from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.records import PublicationRecord
from leadline.store.metadata.rows import find_one, read_all, reader, row_values
from leadline.store.metadata.tables import publication_rows, publications

_to_publication = reader(PublicationRecord)


class PublicationRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, publication: PublicationRecord, content: bytes) -> None:
        """Store a publication and its canonical rows in one transaction (a duplicate version raises)."""
        with self._engine.begin() as connection:
            connection.execute(insert(publications).values(row_values(publication)))
            connection.execute(insert(publication_rows).values(publication_id=publication.id, content=content))

    def get(self, publication_id: str) -> PublicationRecord | None:
        with self._engine.connect() as connection:
            return find_one(
                connection, _to_publication, select(publications).where(publications.c.id == publication_id)
            )

    def latest(self, site_id: str, dataset: str, day: date) -> PublicationRecord | None:
        """The newest version for one day of one dataset of a site."""
        with self._engine.connect() as connection:
            return find_one(
                connection,
                _to_publication,
                select(publications)
                .where(publications.c.site_id == site_id, publications.c.dataset == dataset, publications.c.day == day)
                .order_by(publications.c.version.desc())
                .limit(1),
            )

    def content(self, publication_id: str) -> bytes | None:
        """The canonical encoding of a publication's rows: exactly the bytes its `rows_sha256` covers."""
        with self._engine.connect() as connection:
            content: bytes | None = connection.execute(
                select(publication_rows.c.content).where(publication_rows.c.publication_id == publication_id)
            ).scalar()
        return content

    def recent(self, site_id: str, datasets: Sequence[str], last_n_days: int) -> list[PublicationRecord]:
        """Publications of these datasets of one site made in the last `last_n_days` days, newest first."""
        since = utc_now() - timedelta(days=last_n_days)
        with self._engine.connect() as connection:
            return read_all(
                connection,
                _to_publication,
                select(publications)
                .where(
                    publications.c.site_id == site_id,
                    publications.c.dataset.in_(list(datasets)),
                    publications.c.published_at >= since,
                )
                .order_by(publications.c.published_at.desc(), publications.c.dataset, publications.c.version.desc()),
            )

    def for_dataset(
        self, site_id: str, dataset: str, first_day: date, last_day: date, latest_only: bool
    ) -> list[PublicationRecord]:
        """Publications of one dataset for days in [first_day, last_day], by day then version."""
        conditions = [
            publications.c.site_id == site_id,
            publications.c.dataset == dataset,
            publications.c.day >= first_day,
            publications.c.day <= last_day,
        ]
        query = select(publications).where(*conditions)
        if latest_only:
            newest = (
                select(publications.c.day, func.max(publications.c.version).label("version"))
                .where(*conditions)
                .group_by(publications.c.day)
                .subquery()
            )
            query = query.join(
                newest, (newest.c.day == publications.c.day) & (newest.c.version == publications.c.version)
            )
        with self._engine.connect() as connection:
            return read_all(connection, _to_publication, query.order_by(publications.c.day, publications.c.version))
