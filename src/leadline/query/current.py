"""Current visitors: who had a pageview in the last five minutes, on which page, from which referrer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadline.query.dialects import DIALECTS, Dialect, Params
from leadline.store.events import EventStore, HitKind
from leadline.store.events.base import LAST_PAGEVIEW_ORDER

WINDOW = timedelta(minutes=5)
MAX_ROWS = 150


@dataclass(frozen=True, slots=True)
class CompiledCurrent:
    total: tuple[str, Params]
    content: tuple[str, Params]
    referrers: tuple[str, Params]
    reads_from: int  # no hit before this Unix second is read (EventStore.fetch): the entries' day, and a margin


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def compile_current(site_id: str, now: datetime, dialect: Dialect) -> CompiledCurrent:
    now = now.replace(microsecond=0)  # hits' instants are whole seconds (base.Hit): so are the window's ends
    since, until = _naive(now - WINDOW), _naive(now)

    def recent(params: Params) -> str:
        site = params.add(site_id, "String")
        window = (
            f"timestamp >= {params.add(since, 'DateTime64(6)')} AND timestamp <= {params.add(until, 'DateTime64(6)')}"
        )
        return f"site_id = {site} AND kind = {HitKind.PAGEVIEW:d} AND {window}"

    total_params = dialect.params()
    total = f"SELECT {dialect.count_distinct('visitor_id')} FROM hits WHERE {recent(total_params)}"

    content_params = dialect.params()
    # Each current visitor counts once, on the page they viewed last.
    latest_page = dialect.arg_max("pathname", LAST_PAGEVIEW_ORDER)
    content = (
        f"SELECT pathname, count(*) AS total FROM (SELECT {latest_page} AS pathname "
        f"FROM hits WHERE {recent(content_params)} GROUP BY visitor_id) AS latest "
        f"GROUP BY pathname ORDER BY total DESC, pathname ASC LIMIT {MAX_ROWS}"
    )

    referrer_params = dialect.params()
    current_sessions = (
        f"SELECT visitor_id, {dialect.arg_max('session_id', 'timestamp')} AS session_id "
        f"FROM hits WHERE {recent(referrer_params)} GROUP BY visitor_id"
    )
    # ... and under the referrer their current session arrived with: its entry pageview's (sessions last at
    # most a day, so the entry is no older than that).
    session_site = referrer_params.add(site_id, "String")
    session_since = referrer_params.add(_naive(now - WINDOW - timedelta(days=1)), "DateTime64(6)")
    hits = dialect.column_prefix("hits")  # "hits." but on ClickHouse (see ClickHouseDialect.column_prefix)
    referrers = (
        f"SELECT {hits}referrer_hostname, count(*) AS total "
        f"FROM hits INNER JOIN ({current_sessions}) AS current_sessions "
        f"{dialect.join_on_session('current_sessions', 'hits')} "
        f"WHERE {hits}site_id = {session_site} AND {hits}entry AND {hits}timestamp >= {session_since} "
        f"AND {hits}referrer_hostname <> '' GROUP BY {hits}referrer_hostname "
        f"ORDER BY total DESC, {hits}referrer_hostname ASC LIMIT {MAX_ROWS}"
    )
    reads_from = int((now - WINDOW - timedelta(days=2)).timestamp())
    return CompiledCurrent((total, total_params), (content, content_params), (referrers, referrer_params), reads_from)


def current_visitors(
    event_store: EventStore, site_id: str, detailed: bool, now: datetime | None = None
) -> dict[str, object]:
    compiled = compile_current(site_id, now or datetime.now(UTC), DIALECTS[event_store.dialect])
    rows = event_store.fetch(*compiled.total, reads_from=compiled.reads_from)
    answer: dict[str, object] = {"total": int(rows[0][0] or 0) if rows else 0}
    if detailed:
        answer["content"] = [
            {"pathname": path, "total": int(total)}
            for path, total in event_store.fetch(*compiled.content, reads_from=compiled.reads_from)
        ]
        # `referrer` is the seed schema's name for the hostname; `referrer_hostname` says what it holds.
        answer["referrers"] = [
            {"referrer_hostname": host, "referrer": host, "total": int(total)}
            for host, total in event_store.fetch(*compiled.referrers, reads_from=compiled.reads_from)
        ]
    return answer
