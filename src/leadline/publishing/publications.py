"""Publications as the Integration API reads them: the store's records with what their dataset declares.

The store keeps a publication's facts and the canonical bytes of its rows; a dataset's columns, its id and the
types its rows decode to are declared in `datasets`, so they are added here, above the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import date

import orjson

from leadline.canonical import Cell
from leadline.publishing.datasets import DATASETS, ValueType, dataset_id
from leadline.store.metadata.publications import PublicationRepository
from leadline.store.metadata.records import PublicationRecord

BRANCH = "main"  # every publication is on main; a re-publication is a newer version on the same branch


class Publication(PublicationRecord):
    """A stored publication with its dataset's columns and the facts its signature covers."""

    __slots__ = ()

    @classmethod
    def of(cls, record: PublicationRecord) -> Publication:
        return cls(**{field.name: getattr(record, field.name) for field in fields(record)})

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


def _publication(record: PublicationRecord | None) -> Publication | None:
    return None if record is None else Publication.of(record)


class Publications:
    """The stored publications, read as `Publication`s, with their rows typed by their dataset's columns."""

    def __init__(self, stored: PublicationRepository) -> None:
        self._stored = stored

    def add(self, publication: Publication, content: bytes) -> None:
        """Store a publication and its canonical rows in one transaction (a duplicate version raises)."""
        self._stored.add(publication, content)

    def get(self, publication_id: str) -> Publication | None:
        return _publication(self._stored.get(publication_id))

    def latest(self, site_id: str, dataset: str, day: date) -> Publication | None:
        """The newest version for one day of one dataset of a site."""
        return _publication(self._stored.latest(site_id, dataset, day))

    def recent(self, site_id: str, datasets: Sequence[str], last_n_days: int) -> list[Publication]:
        """Publications of these datasets of one site made in the last `last_n_days` days, newest first."""
        return [Publication.of(record) for record in self._stored.recent(site_id, datasets, last_n_days)]

    def for_dataset(
        self, site_id: str, dataset: str, first_day: date, last_day: date, latest_only: bool
    ) -> list[Publication]:
        """Publications of one dataset for days in [first_day, last_day], by day then version."""
        found = self._stored.for_dataset(site_id, dataset, first_day, last_day, latest_only)
        return [Publication.of(record) for record in found]

    def rows(self, publication: Publication) -> list[list[Cell]]:
        """The frozen rows, decoded from the exact bytes their hash covers.

        RFC 8785 writes 2.0 as `2`, so FLOAT cells are made floats again by their column's type.
        """
        content = self._stored.content(publication.id)
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
