"""Events: named conversions of a site (completions are hits in the event store)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from leadline.store.ids import new_id
from leadline.store.metadata.changes import SiteChanges
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import Page, PageRequest, fetch_all, fetch_page
from leadline.store.metadata.records import ConflictError, Event, EventLimitError
from leadline.store.metadata.rows import find_one, get_one, reader, row_values
from leadline.store.metadata.tables import events, sites

_to_event = reader(Event)


def _duplicate_name(name: str) -> ConflictError:
    return ConflictError(f"an event named {name!r} already exists for this site")


class EventRepository:
    """A site's events.

    Renaming or deleting one announces a change of its site, since collectors cache event ids by name;
    creating one does not: no cache holds an answer that a new event makes wrong.
    """

    def __init__(self, engine: Engine, changes: SiteChanges) -> None:
        self._engine = engine
        self._changes = changes

    def create(self, site_id: str, name: str, max_events: int | None = None) -> Event:
        """A new event; with `max_events`, EventLimitError when the site has that many already."""
        now = utc_now()
        event = Event(id=new_id(), site_id=site_id, name=name, created_at=now, updated_at=now)
        try:
            with self._engine.begin() as connection:
                if max_events is None:
                    connection.execute(insert(events).values(row_values(event)))
                elif not self._insert_below_limit(connection, event, max_events):
                    raise EventLimitError(max_events)
        except IntegrityError as error:
            raise _duplicate_name(name) from error
        return event

    def get_or_create(self, site_id: str, name: str, max_events: int | None = None) -> Event:
        """The site's event called `name`, created on first use (safe against concurrent creators).

        With `max_events`, creating one beyond that many raises EventLimitError; existing events are
        always found.
        """
        existing = self.find_by_name(site_id, name)
        if existing is not None:
            return existing
        try:
            return self.create(site_id, name, max_events)
        except ConflictError:
            created = self.find_by_name(site_id, name)
            if created is None:
                raise
            return created

    def count(self, site_id: str) -> int:
        with self._engine.connect() as connection:
            query = select(func.count()).select_from(events).where(events.c.site_id == site_id)
            return int(connection.execute(query).scalar_one())

    @staticmethod
    def _insert_below_limit(connection: Connection, event: Event, max_events: int) -> bool:
        """Insert `event` unless its site has `max_events` already; whether it was inserted.

        Count and insert are one statement, so on SQLite (one writer at a time) concurrent creators cannot
        pass the limit together; PostgreSQL also needs the site's row locked first, which SQLite ignores.
        """
        connection.execute(select(sites.c.id).where(sites.c.id == event.site_id).with_for_update())
        existing = select(func.count()).select_from(events).where(events.c.site_id == event.site_id).scalar_subquery()
        values = row_values(event)
        row = select(*(literal(value, events.c[name].type).label(name) for name, value in values.items()))
        # RETURNING, not rowcount: psycopg reports no row count for INSERT ... SELECT (-1), SQLite does.
        inserted = connection.execute(
            insert(events).from_select(list(values), row.where(existing < max_events)).returning(events.c.id)
        )
        return inserted.first() is not None

    def get(self, site_id: str, event_id: str) -> Event:
        with self._engine.connect() as connection:
            return self._get(connection, site_id, event_id)

    def find_by_name(self, site_id: str, name: str) -> Event | None:
        with self._engine.connect() as connection:
            query = select(events).where(events.c.site_id == site_id, events.c.name == name)
            return find_one(connection, _to_event, query)

    def list_page(self, site_id: str, request: PageRequest) -> Page[Event]:
        with self._engine.connect() as connection:
            return fetch_page(connection, events, events.c.site_id == site_id, request, _to_event)

    def list_all(self, site_id: str) -> list[Event]:
        """Every event of a site, oldest first."""
        with self._engine.connect() as connection:
            return fetch_all(connection, events, _to_event, events.c.site_id == site_id)

    def rename(self, site_id: str, event_id: str, name: str) -> Event:
        try:
            with self._engine.begin() as connection:
                self._get(connection, site_id, event_id)
                connection.execute(
                    update(events)
                    .where(events.c.site_id == site_id, events.c.id == event_id)
                    .values(name=name, updated_at=utc_now())
                )
                renamed = self._get(connection, site_id, event_id)
        except IntegrityError as error:
            raise _duplicate_name(name) from error
        self._changes.site_changed(site_id)
        return renamed

    def delete(self, site_id: str, event_id: str) -> None:
        with self._engine.begin() as connection:
            self._get(connection, site_id, event_id)
            connection.execute(delete(events).where(events.c.site_id == site_id, events.c.id == event_id))
        self._changes.site_changed(site_id)

    @staticmethod
    def _get(connection: Connection, site_id: str, event_id: str) -> Event:
        query = select(events).where(events.c.site_id == site_id, events.c.id == event_id)
        return get_one(connection, _to_event, query, "event", event_id)
