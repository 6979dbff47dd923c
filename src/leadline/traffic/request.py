"""A synthetic hit: what a visitor's browser would send to the collector, and when."""

from __future__ import annotations

from typing import NamedTuple

import orjson

# A request's fields in SyntheticRequest's order: what crosses between processes (plain tuples pickle fastest).
RequestFields = tuple[float, str, str, str, str, str, str, int]


class SyntheticRequest(NamedTuple):
    """Immutable; a NamedTuple rather than a dataclass because millions are built and sent between processes."""

    timestamp: float  # Unix seconds (UTC) at which the collector receives the hit
    site_id: str
    ip: str
    user_agent: str
    url: str  # the full page URL as the tracking script sends it (percent-encoded, UTM tags on some landings)
    referrer: str = ""  # "" for direct arrivals and for events
    event_name: str = ""  # "" for pageviews
    value: int = 0  # cents, events only

    @property
    def is_pageview(self) -> bool:
        return not self.event_name

    def body(self) -> bytes:
        """The JSON body script.js posts: pageviews carry a referrer, events a name and (if any) a value."""
        if self.is_pageview:
            return orjson.dumps({"site": self.site_id, "url": self.url, "referrer": self.referrer})
        fields: dict[str, object] = {"site": self.site_id, "url": self.url, "name": self.event_name}
        if self.value:
            fields["value"] = self.value
        return orjson.dumps(fields)
