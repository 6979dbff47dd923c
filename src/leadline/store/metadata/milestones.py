"""Milestones: dated notes on a site's timeline (a launch, a campaign), shown on reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import Page, PageRequest, fetch_page
from leadline.store.metadata.records import Milestone, NotFoundError
from leadline.store.metadata.tables import milestones


def _to_milestone(row: Row[tuple[object, ...]]) -> Milestone:
    m = row._mapping
    return Milestone(
        id=m["id"],
        site_id=m["site_id"],
        name=m["name"],
        milestone_date=m["milestone_date"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class MilestoneRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, site_id: str, name: str, milestone_date: date) -> Milestone:
        now = utc_now()
        milestone = Milestone(
            id=new_id(),
            site_id=site_id,
            name=name,
            milestone_date=milestone_date,
            created_at=now,
            updated_at=now,
        )
        with self._engine.begin() as connection:
            connection.execute(
                insert(milestones).values(
                    site_id=site_id,
                    id=milestone.id,
                    name=name,
                    milestone_date=milestone_date,
                    created_at=now,
                    updated_at=now,
                )
            )
        return milestone

    def get(self, site_id: str, milestone_id: str) -> Milestone:
        with self._engine.connect() as connection:
            return self._get(connection, site_id, milestone_id)

    def list_page(self, site_id: str, request: PageRequest) -> Page[Milestone]:
        with self._engine.connect() as connection:
            return fetch_page(connection, milestones, milestones.c.site_id == site_id, request, _to_milestone)

    def update(self, site_id: str, milestone_id: str, changes: Mapping[str, Any]) -> Milestone:
        with self._engine.begin() as connection:
            self._get(connection, site_id, milestone_id)
            connection.execute(
                update(milestones)
                .where(milestones.c.site_id == site_id, milestones.c.id == milestone_id)
                .values(
                    updated_at=utc_now(),
                    **{k: v for k, v in changes.items() if k in ("name", "milestone_date")},
                )
            )
            return self._get(connection, site_id, milestone_id)

    def delete(self, site_id: str, milestone_id: str) -> None:
        with self._engine.begin() as connection:
            self._get(connection, site_id, milestone_id)
            connection.execute(
                delete(milestones).where(milestones.c.site_id == site_id, milestones.c.id == milestone_id)
            )

    @staticmethod
    def _get(connection: Connection, site_id: str, milestone_id: str) -> Milestone:
        row = connection.execute(
            select(milestones).where(milestones.c.site_id == site_id, milestones.c.id == milestone_id)
        ).first()
        if row is None:
            raise NotFoundError("milestone", milestone_id)
        return _to_milestone(row)
