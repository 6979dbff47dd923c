"""Read access to dataset publications (the table exists; publishing itself is a later step, so it is empty)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.tables import publications


@dataclass(frozen=True, slots=True)
class Publication:
    id: str
    site_id: str
    dataset: str
    branch_id: str
    signature_id: str
    signer_email: str
    published_at: datetime


class PublicationRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recent(self, site_id: str, datasets: Sequence[str], last_n_days: int) -> list[Publication]:
        """Publications of these datasets of one site in the last `last_n_days` days, newest first."""
        since = utc_now() - timedelta(days=last_n_days)
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(publications)
                .where(
                    publications.c.site_id == site_id,
                    publications.c.dataset.in_(list(datasets)),
                    publications.c.published_at >= since,
                )
                .order_by(publications.c.published_at.desc(), publications.c.id)
            ).all()
        return [
            Publication(
                id=row.id,
                site_id=row.site_id,
                dataset=row.dataset,
                branch_id=row.branch_id,
                signature_id=row.signature_id,
                signer_email=row.signer_email,
                published_at=row.published_at,
            )
            for row in rows
        ]
