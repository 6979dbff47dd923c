"""A hit on its way through the pipeline: what the request said, and what each step has added."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from leadline.collect.agents import agent_key
from leadline.collect.payload import Payload
from leadline.store.events import Hit, HitKind
from leadline.store.events.base import HIT_COLUMNS, row_to_hit
from leadline.store.metadata.records import Site


@dataclass(slots=True)
class PendingHit:
    payload: Payload
    received_at: float  # Unix time in seconds
    ip: str  # in memory only: never stored, logged or spooled
    user_agent: str  # in memory only
    site: Site | None = None
    event_id: str = ""
    browser: str = ""
    operating_system: str = ""
    device_type: str = ""
    referrer_hostname: str = ""
    referrer_pathname: str = ""
    keyword: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    country_code: str = ""
    region: str = ""
    city: str = ""
    visitor_id: int = 0
    previous_visitor_id: int | None = None  # under yesterday's salt, to continue sessions across midnight
    session_id: int = 0
    entry: bool = False  # the session's first pageview

    # Stored columns that come from the request, named as in HIT_COLUMNS so that `to_row` reads every
    # column by name in one C-level call; set once on arrival.
    site_id: str = field(init=False)
    timestamp: int = field(init=False)  # Unix microseconds (UTC) of the whole second, as rows store it (see Hit)
    kind: int = field(init=False)
    hostname: str = field(init=False)
    pathname: str = field(init=False)
    value: int = field(init=False)
    agent_key: bytes = field(init=False)  # keyed digest of user_agent: what memos of agents are keyed by

    def __post_init__(self) -> None:
        payload = self.payload
        self.site_id, self.hostname, self.pathname = payload.site_id, payload.hostname, payload.pathname
        self.value = payload.value
        self.timestamp = int(self.received_at) * 1_000_000
        self.kind = _EVENT if payload.event_name else _PAGEVIEW
        self.agent_key = agent_key(self.user_agent)

    def to_row(self) -> list[object]:
        """The stored form as a row (see HitRow): everything but the IP and user agent."""
        return list(_ROW_VALUES(self))

    def to_row_tuple(self) -> tuple[object, ...]:
        """`to_row` as a tuple, which the spool keeps in memory: the garbage collector stops tracking tuples
        of plain values, not lists."""
        row: tuple[object, ...] = _ROW_VALUES(self)
        return row

    def to_hit(self) -> Hit:
        """The stored form as a Hit."""
        return row_to_hit(self.to_row())


_PAGEVIEW, _EVENT = int(HitKind.PAGEVIEW), int(HitKind.EVENT)  # rows hold plain ints
# One C-level call reads every stored column by its name in HIT_COLUMNS: no second list of the columns here.
_ROW_VALUES = attrgetter(*HIT_COLUMNS)
