"""Events: named conversions of a site (completions are hits in the event store)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import Page, PageRequest, fetch_page
from leadline.store.metadata.records import ConflictError, Event, NotFoundError
from leadline.store.metadata.tables import events


def _to_event(row: Row[tuple[object, ...]]) -> Event:
    m = row._mapping
    return Event(
        id=m["id"],
        site_id=m["site_id"],
        name=m["name"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _duplicate_name(name: str) -> ConflictError:
    return ConflictError(f"an event named {name!r} already exists for this site")


class EventRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, site_id: str, name: str) -> Event:
        now = utc_now()
        event = Event(id=new_id(), site_id=site_id, name=name, created_at=now, updated_at=now)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(events).values(site_id=site_id, id=event.id, name=name, created_at=now, updated_at=now)
                )
        except IntegrityError as error:
            raise _duplicate_name(name) from error
        return event

    def get_or_create(self, site_id: str, name: str) -> Event:
        """The site's event called `name`, created on first use (safe against concurrent creators)."""
        existing = self.find_by_name(site_id, name)
        if existing is not None:
            return existing
        try:
            return self.create(site_id, name)
        except ConflictError:
            created = self.find_by_name(site_id, name)
            if created is None:
                raise
            return created

    def get(self, site_id: str, event_id: str) -> Event:
        with self._engine.connect() as connection:
            return self._get(connection, site_id, event_id)

    def find_by_name(self, site_id: str, name: str) -> Event | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(events).where(events.c.site_id == site_id, events.c.name == name)).first()
        return None if row is None else _to_event(row)

    def list_page(self, site_id: str, request: PageRequest) -> Page[Event]:
        with self._engine.connect() as connection:
            return fetch_page(connection, events, events.c.site_id == site_id, request, _to_event)

    def list_all(self, site_id: str) -> list[Event]:
        """Every event of a site, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(events).where(events.c.site_id == site_id).order_by(events.c.created_at, events.c.id)
            ).all()
        return [_to_event(row) for row in rows]

    def rename(self, site_id: str, event_id: str, name: str) -> Event:
        try:
            with self._engine.begin() as connection:
                self._get(connection, site_id, event_id)
                connection.execute(
                    update(events)
                    .where(events.c.site_id == site_id, events.c.id == event_id)
                    .values(name=name, updated_at=utc_now())
                )
                return self._get(connection, site_id, event_id)
        except IntegrityError as error:
            raise _duplicate_name(name) from error

    def delete(self, site_id: str, event_id: str) -> None:
        with self._engine.begin() as connection:
            self._get(connection, site_id, event_id)
            connection.execute(delete(events).where(events.c.site_id == site_id, events.c.id == event_id))

    @staticmethod
    def _get(connection: Connection, site_id: str, event_id: str) -> Event:
        row = connection.execute(select(events).where(events.c.site_id == site_id, events.c.id == event_id)).first()
        if row is None:
            raise NotFoundError("event", event_id)
        return _to_event(row)
