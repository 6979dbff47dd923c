"""The site dashboard's panels and cards, declared once: what each shows and the `/v1/aggregations` query behind it.

Pages count pageviews (each hit's own page); the other panels count visits, grouped by the session's entry
pageview (where the visitor came from and with what), as `/v1/aggregations` does with `aggregates=visits`;
exit pages group visits by the session's last pageview (`field_grouping=exit_pathname`).
"""

from __future__ import annotations

from dataclasses import dataclass

# The metric cards, in order: (name, label, entity, aggregate). Completions come from event reports.
CARDS: tuple[tuple[str, str], ...] = (
    ("uniques", "Unique visitors"),
    ("visits", "Visits"),
    ("pageviews", "Pageviews"),
    ("avg_duration", "Avg. visit duration"),
    ("bounce_rate", "Bounce rate"),
    ("completions", "Event completions"),
)
PAGEVIEW_CARDS: tuple[str, ...] = ("uniques", "visits", "pageviews", "avg_duration", "bounce_rate")
# Cards where a rise is bad news (shown in the "worse" colour).
LOWER_IS_BETTER: frozenset[str] = frozenset({"bounce_rate"})
CHART_METRICS: tuple[str, ...] = PAGEVIEW_CARDS


@dataclass(frozen=True, slots=True)
class Panel:
    name: str  # the data-panel name (a contract)
    title: str
    group: str  # panels of one group share a box with tabs
    field: str | None  # the /v1/aggregations field_grouping; None: the events panel, which is no dimension
    metric: str  # the row's count (data-value)
    metric_label: str

    @property
    def filterable(self) -> bool:
        return self.field is not None and self.name != "events"


PANELS: tuple[Panel, ...] = (
    Panel("pages", "Top pages", "pages", "pathname", "pageviews", "Pageviews"),
    Panel("entry_pages", "Entry pages", "pages", "pathname", "visits", "Visits"),
    Panel("exit_pages", "Exit pages", "pages", "exit_pathname", "visits", "Visits"),
    Panel("referrers", "Referrers", "sources", "referrer_hostname", "visits", "Visits"),
    # The same visits by the full referrer (hostname and path), a second tab beside the hostnames.
    Panel("full_referrers", "Full referrers", "sources", "referrer", "visits", "Visits"),
    Panel("utm_source", "UTM source", "campaigns", "utm_source", "visits", "Visits"),
    Panel("utm_medium", "UTM medium", "campaigns", "utm_medium", "visits", "Visits"),
    Panel("utm_campaign", "UTM campaign", "campaigns", "utm_campaign", "visits", "Visits"),
    Panel("utm_content", "UTM content", "campaigns", "utm_content", "visits", "Visits"),
    Panel("utm_term", "UTM term", "campaigns", "utm_term", "visits", "Visits"),
    Panel("countries", "Countries", "locations", "country_code", "visits", "Visits"),
    Panel("regions", "Regions", "locations", "region", "visits", "Visits"),
    Panel("cities", "Cities", "locations", "city", "visits", "Visits"),
    Panel("browsers", "Browsers", "devices", "browser", "visits", "Visits"),
    Panel("operating_systems", "Operating systems", "devices", "operating_system", "visits", "Visits"),
    Panel("device_types", "Device types", "devices", "device_type", "visits", "Visits"),
    Panel("events", "Events", "events", None, "conversions", "Completions"),
)
PANELS_BY_NAME: dict[str, Panel] = {panel.name: panel for panel in PANELS}
GROUPS: tuple[tuple[str, str], ...] = (
    ("pages", "Pages"),
    ("sources", "Sources"),
    ("campaigns", "Campaigns"),
    ("locations", "Locations"),
    ("devices", "Devices"),
    ("events", "Goals and events"),
)
# Every field a row click can filter by, with the chip's label.
FILTER_FIELDS: dict[str, str] = {
    "pathname": "Page",
    "exit_pathname": "Exit page",
    "hostname": "Hostname",
    "referrer_hostname": "Referrer",
    "referrer": "Full referrer",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
    "utm_content": "UTM content",
    "utm_term": "UTM term",
    "country_code": "Country",
    "region": "Region",
    "city": "City",
    "browser": "Browser",
    "operating_system": "Operating system",
    "device_type": "Device type",
}
TOP_ROWS = 10
MORE_ROWS = 100
EVENT_METRICS = "conversions,unique_conversions,value"


def panel_params(panel: Panel, limit: int) -> dict[str, str]:
    """The `/v1/aggregations` parameters (beyond entity, window and filters) of a dimension panel's rows."""
    if panel.field is None:
        raise ValueError(f"panel {panel.name!r} is not a dimension report")
    return {
        "aggregates": panel.metric,
        "field_grouping": panel.field,
        "sort_by": f"{panel.metric}:desc",
        "limit": str(limit),
    }


def row_label(panel: Panel, value: str) -> str:
    """What a row shows for a stored value (the empty value means none was recorded)."""
    if value:
        return value
    if panel.field in ("referrer_hostname", "referrer"):
        return "Direct / none"
    return "(none)"
