"""Milestones: dated notes on a site's timeline (a launch, a campaign), shown on reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import Page, PageRequest, fetch_page
from leadline.store.metadata.records import Milestone
from leadline.store.metadata.rows import get_one, reader, row_values
from leadline.store.metadata.tables import milestones

_to_milestone = reader(Milestone)


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
            connection.execute(insert(milestones).values(row_values(milestone)))
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
        query = select(milestones).where(milestones.c.site_id == site_id, milestones.c.id == milestone_id)
        return get_one(connection, _to_milestone, query, "milestone", milestone_id)
