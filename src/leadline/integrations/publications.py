"""Stored publications: their facts, their frozen rows (canonical bytes) and the queries consumers need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import orjson
from sqlalchemy import Engine, Row, func, insert, select

from leadline.integrations.canonical import Cell
from leadline.integrations.datasets import DATASETS, ValueType, dataset_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.tables import publication_rows, publications

BRANCH = "main"  # every publication is on main; a re-publication is a newer version on the same branch


@dataclass(frozen=True, slots=True)
class Publication:
    id: str
    site_id: str
    dataset: str
    day: date
    timezone: str
    version: int
    supersedes_id: str | None
    branch_id: str
    row_count: int
    rows_sha256: str
    key_id: str
    signature_id: str
    signature: str
    signer_email: str
    timestamp_iso8601: str
    published_at: datetime

    @property
    def dataset_id(self) -> str:
        return dataset_id(self.site_id, self.dataset)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in DATASETS[self.dataset].columns]

    def signed_facts(self, algorithm: str) -> dict[str, object]:
        """The facts the signature covers (see canonical.SIGNED_FIELDS)."""
        return {
            "algorithm": algorithm,
            "branchId": self.branch_id,
            "columns": self.column_names,
            "datasetId": self.dataset_id,
            "day": self.day.isoformat(),
            "keyId": self.key_id,
            "publicationId": self.id,
            "rowCount": self.row_count,
            "rowsSha256": self.rows_sha256,
            "signatureId": self.signature_id,
            "signerEmail": self.signer_email,
            "supersedesId": self.supersedes_id,
            "timestampIso8601": self.timestamp_iso8601,
            "timezone": self.timezone,
            "version": self.version,
        }


def _to_publication(row: Row[tuple[object, ...]]) -> Publication:
    m = row._mapping
    return Publication(**{name: m[name] for name in Publication.__dataclass_fields__})


class PublicationRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, publication: Publication, content: bytes) -> None:
        """Store a publication and its canonical rows in one transaction (a duplicate version raises)."""
        with self._engine.begin() as connection:
            connection.execute(
                insert(publications).values(
                    {name: getattr(publication, name) for name in Publication.__dataclass_fields__}
                )
            )
            connection.execute(insert(publication_rows).values(publication_id=publication.id, content=content))

    def get(self, publication_id: str) -> Publication | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(publications).where(publications.c.id == publication_id)).first()
        return None if row is None else _to_publication(row)

    def latest(self, site_id: str, dataset: str, day: date) -> Publication | None:
        """The newest version for one day of one dataset of a site."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(publications)
                .where(publications.c.site_id == site_id, publications.c.dataset == dataset, publications.c.day == day)
                .order_by(publications.c.version.desc())
                .limit(1)
            ).first()
        return None if row is None else _to_publication(row)

    def rows(self, publication: Publication) -> list[list[Cell]]:
        """The frozen rows, decoded from the exact bytes their hash covers.

        RFC 8785 writes 2.0 as `2`, so FLOAT cells are made floats again by their column's type.
        """
        with self._engine.connect() as connection:
            content = connection.execute(
                select(publication_rows.c.content).where(publication_rows.c.publication_id == publication.id)
            ).scalar()
        if content is None:
            return []
        rows: list[list[Cell]] = orjson.loads(content)["rows"]
        floats = [
            i for i, column in enumerate(DATASETS[publication.dataset].columns) if column.value_type is ValueType.FLOAT
        ]
        for row in rows:
            for index in floats:
                row[index] = float(row[index])
        return rows

    def recent(self, site_id: str, datasets: Sequence[str], last_n_days: int) -> list[Publication]:
        """Publications of these datasets of one site made in the last `last_n_days` days, newest first."""
        since = utc_now() - timedelta(days=last_n_days)
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(publications)
                .where(
                    publications.c.site_id == site_id,
                    publications.c.dataset.in_(list(datasets)),
                    publications.c.published_at >= since,
                )
                .order_by(publications.c.published_at.desc(), publications.c.dataset, publications.c.version.desc())
            ).all()
        return [_to_publication(row) for row in rows]

    def for_dataset(
        self, site_id: str, dataset: str, first_day: date, last_day: date, latest_only: bool
    ) -> list[Publication]:
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
            rows = connection.execute(query.order_by(publications.c.day, publications.c.version)).all()
        return [_to_publication(row) for row in rows]
