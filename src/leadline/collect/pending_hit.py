"""A hit on its way through the pipeline: what the request said, and what each step has added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from leadline.collect.payload import Payload
from leadline.store.events import Hit, HitKind
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
    city: str = ""
    visitor_id: int = 0
    previous_visitor_id: int | None = None  # under yesterday's salt, to continue sessions across midnight
    session_id: int = 0
    entry: bool = False  # the session's first pageview

    def to_row(self) -> list[object]:
        """The stored form as a row (see HitRow): everything but the IP and user agent."""
        return [
            self.payload.site_id,
            round(self.received_at * 1_000_000),
            int(HitKind.EVENT if self.payload.event_name else HitKind.PAGEVIEW),
            self.visitor_id,
            self.session_id,
            self.payload.hostname,
            self.payload.pathname,
            self.event_id,
            self.payload.value,
            self.referrer_hostname,
            self.referrer_pathname,
            self.keyword,
            self.utm_source,
            self.utm_medium,
            self.utm_campaign,
            self.utm_content,
            self.utm_term,
            self.browser,
            self.operating_system,
            self.device_type,
            self.country_code,
            self.city,
            self.entry,
        ]

    def to_hit(self) -> Hit:
        """The stored form: everything but the IP and user agent."""
        return Hit(
            site_id=self.payload.site_id,
            timestamp=datetime.fromtimestamp(self.received_at, UTC).replace(tzinfo=None),
            kind=HitKind.EVENT if self.payload.event_name else HitKind.PAGEVIEW,
            visitor_id=self.visitor_id,
            session_id=self.session_id,
            hostname=self.payload.hostname,
            pathname=self.payload.pathname,
            event_id=self.event_id,
            value=self.payload.value,
            referrer_hostname=self.referrer_hostname,
            referrer_pathname=self.referrer_pathname,
            keyword=self.keyword,
            utm_source=self.utm_source,
            utm_medium=self.utm_medium,
            utm_campaign=self.utm_campaign,
            utm_content=self.utm_content,
            utm_term=self.utm_term,
            browser=self.browser,
            operating_system=self.operating_system,
            device_type=self.device_type,
            country_code=self.country_code,
            city=self.city,
            entry=self.entry,
        )
