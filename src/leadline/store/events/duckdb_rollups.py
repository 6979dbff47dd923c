"""Daily rollups of settled days in the DuckDB store: what long ranges sum instead of scanning every hit.

A year of a busy site is millions of hits; its "last 12 months" report scanned them all (0.4-2 s at 10 M).
Pageviews, visits, bounces and durations are sums, so they add up across days. Unique visitors do not, in
general; here they do, exactly, because a visitor id lives at most two consecutive UTC days: it is a hash
with the day's salt, and a session (at most 24 hours) that began yesterday keeps yesterday's id
(collect/sessions.py). So the ids of days d..e, each id in at most two consecutive days' sets, number

    sum over d..e of |ids of the day| - sum over d..e-1 of |ids of the day that are also the next day's|

(inclusion-exclusion, exact when no id spans more than two consecutive days); the same holds per field
value, for the (visitor, value) pairs. Each row holds one (site, UTC day, field, value): its pageviews, its
distinct visitors and those also seen the next day, and the visits that started that day with that entry
value, with their bounces and durations. Field 0 is the whole site (value '').

Rollups are rebuilt in the transaction that settles a day's sessions (duckdb_compaction), from the same hits
and settled sessions, so they are exactly as valid as the settled sessions. Compaction settles every day it
compacts, so a day with hits is pending or settled: query/rolled.py sums the days not pending (a day without
hits has no rows and sums to nothing). The day before a rebuilt run is rebuilt too: its count of visitors
also seen the next day depends on the next day's hits.

Hits that do not keep the two-day rule (visitor ids made elsewhere: a test's, an import's) would make the
sums wrong: the rebuild looks for any visitor of the rebuilt days whose hits span more than two UTC days, or
who begins sessions on two UTC days (which the reports' edges rely on: query/rolled.py), and marks the site
unsummable for good; its reports then scan the hits as before.

Date-grouped reports (pageviews and visits by hour, day, month or year) sum `quarter_hour_rollups`: the site's
pageviews by UTC quarter hour, and visits by the UTC quarter hour they started in. Quarter hours, not hours:
every time zone's offset is a whole number of quarter hours (India's +5:30, Nepal's +5:45, Chatham's +12:45), so
its local midnights and clock changes fall on UTC quarter hours, and its days, months and years are made of
them.

Events are rolled up alike in `event_rollups`, per (site, UTC day, event): completions, distinct visitors
completing it (and those also completing it the next day), and the summed value.

Unique visitors of a window that begins or ends inside a UTC day (a local day, month or year elsewhere than in
UTC) are counted from `visitor_quarter_hours` and `visitor_crossings` (query/bucketed.py): per UTC quarter hour,
how many of the day's visitors (by pageviews) were first seen that day in it and how many last seen; and per
pair of quarter hours, how many visitors were last seen on a day in the one and first seen the next day in the
other. A day's crossings depend on the next day's hits, as its visitors also seen the next day do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

Run = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]
EPOCH = datetime(1970, 1, 1)
DAY = timedelta(days=1)


# The UTC day a hit's session started on (a session id is its start second).
def session_day(session_id: str) -> str:
    """The UTC day a session started on, from its id (its first second)."""
    return f"CAST(make_timestamp(CAST({session_id} AS BIGINT) * 1000000) AS DATE)"


SESSION_DAY = session_day("session_id")


# The rollups' smallest time bucket, in seconds: a UTC quarter hour (see the module docstring).
QUARTER_HOUR = 900


def quarter_hour(instant: str) -> str:
    """The UTC quarter hour an instant (SQL of a naive UTC timestamp) falls in, as a timestamp."""
    # time_bucket counts from 2000-01-03 00:00, a UTC midnight: its buckets begin at :00, :15, :30 and :45.
    return f"time_bucket(INTERVAL {QUARTER_HOUR} SECOND, {instant})"


def midnight(day: date) -> datetime:
    """The first instant of a UTC day, as the store keeps instants (naive UTC)."""
    return datetime(day.year, day.month, day.day)


def in_window(column: str = "timestamp") -> str:
    """`column` (hits' instants) within [start, end), two bound parameters, each as TIMESTAMP_S, as hits keep
    instants (base.Hit). A plain ? binds a TIMESTAMP, to which DuckDB casts the column, and a cast column is not
    checked against row groups' zone maps: every statement would read all of a site's row groups. The bounds
    must be whole seconds (CAST rounds), as midnights are; `whole_second_bound` makes any instant one."""
    return f"{column} >= CAST(? AS TIMESTAMP_S) AND {column} < CAST(? AS TIMESTAMP_S)"


def whole_second_bound(moment: datetime) -> datetime:
    """The first whole second at or after `moment`: a whole-second instant is >= (or <) `moment` exactly when it
    is >= (or <) this bound, which TIMESTAMP_S holds exactly."""
    return moment.replace(microsecond=0) + timedelta(seconds=1) if moment.microsecond else moment


def unix_seconds(moment: datetime) -> int:
    """A naive UTC instant as Unix seconds (a session id is its session's start second)."""
    return int((moment - EPOCH).total_seconds())


# A migration's last statement when what it adds is built by compaction: every stored day waits for it again.
MARK_EVERY_STORED_DAY = (
    "INSERT INTO pending_days SELECT DISTINCT site_id, CAST(timestamp AS DATE) FROM hits"
    " EXCEPT SELECT site_id, day FROM pending_days;"
)

ROLLUPS_MIGRATION = f"""
    CREATE TABLE daily_rollups (
        site_id VARCHAR NOT NULL,
        day DATE NOT NULL,
        field UTINYINT NOT NULL,
        value VARCHAR NOT NULL,
        pageviews UBIGINT NOT NULL,
        visitors UBIGINT NOT NULL,
        visitors_next_day UBIGINT NOT NULL,
        visits UBIGINT NOT NULL,
        bounces UBIGINT NOT NULL,
        duration_us BIGINT NOT NULL
    );
    CREATE TABLE hourly_rollups (
        site_id VARCHAR NOT NULL,
        hour TIMESTAMP NOT NULL,
        pageviews UBIGINT NOT NULL,
        visits UBIGINT NOT NULL,
        bounces UBIGINT NOT NULL,
        duration_us BIGINT NOT NULL
    );
    CREATE TABLE unsummable_sites (site_id VARCHAR NOT NULL);
    {MARK_EVERY_STORED_DAY}
"""

# Events of settled days, per (site, UTC day, event): completions, distinct visitors completing (and those of
# them also completing it the next day: the same two-day sums as pageviews') and the summed value. Every
# stored day waits for compaction again, which rolls up its events.
EVENT_ROLLUPS_MIGRATION = f"""
    CREATE TABLE event_rollups (
        site_id VARCHAR NOT NULL,
        day DATE NOT NULL,
        event_id VARCHAR NOT NULL,
        completions UBIGINT NOT NULL,
        visitors UBIGINT NOT NULL,
        visitors_next_day UBIGINT NOT NULL,
        value HUGEINT NOT NULL
    );
    {MARK_EVERY_STORED_DAY}
"""

# Per UTC hour, the visitors first and last seen in it on its day; per pair of hours on consecutive days, the
# visitors last seen in the one and first seen in the other. Every stored day waits for compaction again, which
# builds them. (QUARTER_HOURS_MIGRATION replaces these tables, and `hourly_rollups`, by quarter-hour ones.)
VISITOR_HOURS_MIGRATION = f"""
    CREATE TABLE visitor_hours (
        site_id VARCHAR NOT NULL,
        hour TIMESTAMP NOT NULL,
        firsts UBIGINT NOT NULL,
        lasts UBIGINT NOT NULL
    );
    CREATE TABLE visitor_crossings (
        site_id VARCHAR NOT NULL,
        last_hour TIMESTAMP NOT NULL,
        next_first_hour TIMESTAMP NOT NULL,
        visitors UBIGINT NOT NULL
    );
    {MARK_EVERY_STORED_DAY}
"""

# Rollups by the quarter hour replace those by the hour (see the module docstring): hourly rows could not split
# a local day of India, Nepal or Newfoundland, whose reports then read every hit. Every stored day waits for
# compaction again, which builds them.
QUARTER_HOURS_MIGRATION = f"""
    DROP TABLE hourly_rollups;
    DROP TABLE visitor_hours;
    DROP TABLE visitor_crossings;
    CREATE TABLE quarter_hour_rollups (
        site_id VARCHAR NOT NULL,
        quarter_hour TIMESTAMP NOT NULL,
        pageviews UBIGINT NOT NULL,
        visits UBIGINT NOT NULL,
        bounces UBIGINT NOT NULL,
        duration_us BIGINT NOT NULL
    );
    CREATE TABLE visitor_quarter_hours (
        site_id VARCHAR NOT NULL,
        quarter_hour TIMESTAMP NOT NULL,
        firsts UBIGINT NOT NULL,
        lasts UBIGINT NOT NULL
    );
    CREATE TABLE visitor_crossings (
        site_id VARCHAR NOT NULL,
        last_quarter_hour TIMESTAMP NOT NULL,
        next_first_quarter_hour TIMESTAMP NOT NULL,
        visitors UBIGINT NOT NULL
    );
    {MARK_EVERY_STORED_DAY}
"""

# The fields of hits rolled up, by their number in `daily_rollups.field`: the whole site, then every dimension a
# report groups by but the exit page (a session's last pageview: not an attribute of a hit, see EXIT_FIELD_NUMBER)
# and the event.
ROLLUP_FIELDS: tuple[str, ...] = (
    "",
    "hostname",
    "pathname",
    "referrer_hostname",
    "referrer",
    "browser",
    "country_code",
    "region",
    "city",
    "device_type",
    "operating_system",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "keyword",
)

# The exit page's number in `daily_rollups.field`, after the hits' fields: its rows hold the visits, bounces and
# durations of the sessions that ended on each page (from the settled sessions), and no pageviews or visitors
# (those are of hits, which have no exit page of their own).
EXIT_ROLLUP_FIELD = "exit_pathname"
EXIT_FIELD_NUMBER = len(ROLLUP_FIELDS)
# Every field's number in `daily_rollups.field`.
FIELD_NUMBERS: dict[str, int] = {name: number for number, name in enumerate(ROLLUP_FIELDS)} | {
    EXIT_ROLLUP_FIELD: EXIT_FIELD_NUMBER
}

# Every stored day waits for compaction again, which rolls up its sessions' exit pages too.
EXIT_ROLLUPS_MIGRATION = MARK_EVERY_STORED_DAY

# A field's value on a hits row, as query/parts.py's _dimension computes it ("referrer": host then path).
_EXPRESSIONS = {
    "": "''",
    "referrer": "(CASE WHEN referrer_hostname = '' THEN '' ELSE concat(referrer_hostname, referrer_pathname) END)",
}
# The settled sessions of the rebuilt days (parameters: site, first and end second): a join reads only those.
SETTLED_OF_RUN = "(SELECT * FROM settled_sessions WHERE site_id = ? AND session_id >= ? AND session_id < ?)"
# The entry pageviews of the sessions begun in the rebuilt days, each beside its settled session (`settled`):
# a FROM ... WHERE clause whose parameters are `settled_entries_parameters`.
SETTLED_ENTRIES = f"""hits AS entries INNER JOIN {SETTLED_OF_RUN} AS settled
            ON settled.visitor_id = entries.visitor_id AND settled.session_id = entries.session_id
        WHERE entries.site_id = ? AND entries.entry AND entries.session_id >= ? AND entries.session_id < ?
          AND {in_window("entries.timestamp")}"""


def settled_entries_parameters(site_id: str, start: datetime, end: datetime) -> list[object]:
    """The parameters of SETTLED_ENTRIES for the days [start, end): a session's hits lie within a day of its start."""
    return [*[site_id, unix_seconds(start), unix_seconds(end)] * 2, start, end + DAY]


# Every rolled-up field's value on a hits row, in field order.
_FIELD_VALUES: tuple[str, ...] = tuple(_EXPRESSIONS.get(name, name) for name in ROLLUP_FIELDS)


def _values() -> str:
    """The select list `f0, f1, ...` of every rolled-up field's value on a hits row."""
    return ", ".join(f"{value} AS f{index}" for index, value in enumerate(_FIELD_VALUES))


def _per_field(values: str) -> str:
    """Select items turning one row into a row per rolled-up field: `field` (its number) and `value`, from
    `values`, the row's values in field order.

    Then one GROUP BY (day, field, value) counts every field. GROUPING SETS did the same with a hash table per
    field: 17 of them per count, each costing ~2 ms to set up however few rows it got, so that rolling up a
    site's day took ~170 ms however small the day (DuckDB unnests the lists of one SELECT side by side)."""
    numbers = ", ".join(str(index) for index in range(len(ROLLUP_FIELDS)))
    return f"unnest([{numbers}]) AS field, unnest([{values}]) AS value"


_HIT_VALUES = ", ".join(_FIELD_VALUES)
_NAMED_VALUES = ", ".join(f"f{index}" for index in range(len(ROLLUP_FIELDS)))  # as _values() names them


def keeps_two_day_rule(run: Run, site_id: str, first: date, last: date) -> bool:
    """Whether the visitor ids of one site's UTC days `first` to `last` keep the two-day rule (see the module
    docstring), as every id of the site has so far; if not, the site is marked unsummable, for good (inside the
    caller's transaction)."""
    if run("SELECT 1 FROM unsummable_sites WHERE site_id = ?", [site_id]):
        return False
    if _breaks_two_day_rule(run, site_id, midnight(first), midnight(last) + DAY):
        run("INSERT INTO unsummable_sites VALUES (?)", [site_id])
        return False
    return True


def rebuild_rollups(run: Run, site_id: str, first: date, last: date, summable: bool | None = None) -> bool:
    """Replace the rollups of one site's UTC days `first` to `last` (inside the caller's transaction, after
    their sessions were settled); False, and nothing written, when the site's visitor ids break the two-day
    rule (it is then marked unsummable). `summable`: what keeps_two_day_rule said of those days in the same
    transaction, if the caller asked it already."""
    start, end = midnight(first), midnight(last) + DAY
    run("DELETE FROM daily_rollups WHERE site_id = ? AND day >= ? AND day <= ?", [site_id, first, last])
    in_days = "site_id = ? AND quarter_hour >= ? AND quarter_hour < ?"
    run(f"DELETE FROM quarter_hour_rollups WHERE {in_days}", [site_id, start, end])
    run("DELETE FROM event_rollups WHERE site_id = ? AND day >= ? AND day <= ?", [site_id, first, last])
    run(f"DELETE FROM visitor_quarter_hours WHERE {in_days}", [site_id, start, end])
    run(
        "DELETE FROM visitor_crossings WHERE site_id = ? AND last_quarter_hour >= ? AND last_quarter_hour < ?",
        [site_id, start, end],
    )
    if not (keeps_two_day_rule(run, site_id, first, last) if summable is None else summable):
        return False
    # Pageviews of the days around, for each (field, value, visitor) the first and last day it was seen: a
    # visitor's ids live at most two days, so a day either side shows every day of the ids seen in the run.
    around = [site_id, start - DAY, end + DAY]
    run(
        f"""
        INSERT INTO daily_rollups
        WITH pageviews AS (
            SELECT CAST(timestamp AS DATE) AS day, visitor_id, {_per_field(_HIT_VALUES)} FROM hits
            WHERE site_id = ? AND kind = 1 AND {in_window()}
        ),
        counted AS (
            SELECT day, field, value, count(*) AS pageviews FROM pageviews
            WHERE day >= ? AND day <= ? GROUP BY day, field, value
        ),
        spans AS (
            SELECT field, value, min(day) AS first_day, max(day) AS last_day FROM pageviews
            GROUP BY field, value, visitor_id
        ),
        visitors AS (
            SELECT day, field, value, count(*) AS visitors, count(*) FILTER (WHERE next_day) AS visitors_next_day
            FROM (
                SELECT first_day AS day, field, value, last_day > first_day AS next_day FROM spans
                UNION ALL
                SELECT last_day, field, value, false FROM spans WHERE last_day > first_day
            ) AS seen
            WHERE day >= ? AND day <= ? GROUP BY day, field, value
        ),
        sessions AS (
            SELECT day, field, value, count(*) AS visits, count(*) FILTER (WHERE pageviews = 1) AS bounces,
                   sum(duration_s) * 1000000 AS duration_us
            FROM (
                SELECT entries.day, settled.pageviews, settled.duration_s, {_per_field(_NAMED_VALUES)}
                FROM (SELECT {SESSION_DAY} AS day, session_id, visitor_id, {_values()} FROM hits
                      WHERE site_id = ? AND entry AND session_id >= ? AND session_id < ?
                        AND {in_window()}) AS entries
                INNER JOIN {SETTLED_OF_RUN} AS settled
                    ON settled.visitor_id = entries.visitor_id AND settled.session_id = entries.session_id
            ) AS per_field
            GROUP BY day, field, value
        )
        SELECT ?, day, field, value, coalesce(pageviews, 0), coalesce(visitors, 0), coalesce(visitors_next_day, 0),
               coalesce(visits, 0), coalesce(bounces, 0), coalesce(duration_us, 0)
        FROM counted FULL OUTER JOIN visitors USING (day, field, value) FULL OUTER JOIN sessions
            USING (day, field, value)
        """,
        [
            *around,
            first,
            last,
            first,
            last,
            site_id,
            unix_seconds(start),
            unix_seconds(end),
            start,
            end + DAY,
            site_id,
            unix_seconds(start),
            unix_seconds(end),
            site_id,
        ],
    )
    run(
        f"""
        INSERT INTO daily_rollups
        SELECT ?, {session_day("entries.session_id")} AS day, {EXIT_FIELD_NUMBER},
               coalesce(settled.exit_pathname, '') AS exit_page,
               0, 0, 0, count(*), count(*) FILTER (WHERE settled.pageviews = 1),
               sum(settled.duration_s) * 1000000
        FROM {SETTLED_ENTRIES}
        GROUP BY day, exit_page
        """,
        [site_id, *settled_entries_parameters(site_id, start, end)],
    )
    run(
        f"""
        INSERT INTO quarter_hour_rollups
        WITH counted AS (
            SELECT {quarter_hour("timestamp")} AS quarter_hour, count(*) AS pageviews FROM hits
            WHERE site_id = ? AND kind = 1 AND {in_window()} GROUP BY 1
        ),
        sessions AS (
            SELECT {quarter_hour("make_timestamp(CAST(entries.session_id AS BIGINT) * 1000000)")} AS quarter_hour,
                   count(*) AS visits, count(*) FILTER (WHERE settled.pageviews = 1) AS bounces,
                   sum(settled.duration_s) * 1000000 AS duration_us
            FROM {SETTLED_ENTRIES}
            GROUP BY 1
        )
        SELECT ?, quarter_hour, coalesce(pageviews, 0), coalesce(visits, 0), coalesce(bounces, 0),
               coalesce(duration_us, 0)
        FROM counted FULL OUTER JOIN sessions USING (quarter_hour)
        """,
        [site_id, start, end, *settled_entries_parameters(site_id, start, end), site_id],
    )
    _rebuild_event_rollups(run, site_id, first, last)
    _rebuild_visitor_quarter_hours(run, site_id, start, end)
    return True


def _rebuild_visitor_quarter_hours(run: Run, site_id: str, start: datetime, end: datetime) -> None:
    """The `visitor_quarter_hours` of the days [start, end), and their `visitor_crossings` (from the next day's
    hits too)."""
    # Each visitor's first and last pageview quarter hour on each UTC day, of the days and the one after them.
    spans = f"""spans AS (
            SELECT CAST(timestamp AS DATE) AS day, visitor_id, {quarter_hour("min(timestamp)")} AS first_quarter_hour,
                   {quarter_hour("max(timestamp)")} AS last_quarter_hour
            FROM hits WHERE site_id = ? AND kind = 1 AND {in_window()}
            GROUP BY day, visitor_id
        )"""
    run(
        f"""
        INSERT INTO visitor_quarter_hours
        WITH {spans}
        SELECT ?, quarter_hour, sum(firsts), sum(lasts) FROM (
            SELECT first_quarter_hour AS quarter_hour, 1 AS firsts, 0 AS lasts FROM spans
            UNION ALL
            SELECT last_quarter_hour, 0, 1 FROM spans
        ) AS ends
        GROUP BY quarter_hour
        """,
        [site_id, start, end, site_id],
    )
    run(
        f"""
        INSERT INTO visitor_crossings
        WITH {spans}
        SELECT ?, seen.last_quarter_hour, next.first_quarter_hour, count(*)
        FROM spans AS seen INNER JOIN spans AS next ON next.visitor_id = seen.visitor_id AND next.day = seen.day + 1
        WHERE seen.day < ?
        GROUP BY seen.last_quarter_hour, next.first_quarter_hour
        """,
        [site_id, start, end + DAY, site_id, end.date()],
    )


def _rebuild_event_rollups(run: Run, site_id: str, first: date, last: date) -> None:
    """The event rows of `rebuild_rollups`: completions and value per day and event, and its visitors counted as
    the pageviews' are (the first and last day each (event, visitor) was seen, from a day either side)."""
    run(
        f"""
        INSERT INTO event_rollups
        WITH completions AS (
            SELECT CAST(timestamp AS DATE) AS day, event_id, visitor_id, value FROM hits
            WHERE site_id = ? AND kind = 2 AND {in_window()}
        ),
        counted AS (
            SELECT day, event_id, count(*) AS completions, sum(value) AS value FROM completions
            WHERE day >= ? AND day <= ? GROUP BY day, event_id
        ),
        spans AS (
            SELECT event_id, min(day) AS first_day, max(day) AS last_day FROM completions GROUP BY event_id, visitor_id
        ),
        visitors AS (
            SELECT day, event_id, count(*) AS visitors, count(*) FILTER (WHERE next_day) AS visitors_next_day
            FROM (
                SELECT first_day AS day, event_id, last_day > first_day AS next_day FROM spans
                UNION ALL
                SELECT last_day, event_id, false FROM spans WHERE last_day > first_day
            ) AS seen
            WHERE day >= ? AND day <= ? GROUP BY day, event_id
        )
        SELECT ?, day, event_id, completions, visitors, visitors_next_day, value
        FROM counted INNER JOIN visitors USING (day, event_id)
        """,
        [site_id, midnight(first) - DAY, midnight(last) + 2 * DAY, first, last, first, last, site_id],
    )


def _breaks_two_day_rule(run: Run, site_id: str, start: datetime, end: datetime) -> bool:
    """Whether a visitor id with hits in [start, end) has hits (pageviews or events) more than one UTC day
    apart, or sessions begun on two UTC days, anywhere (query/rolled.py relies on both rules)."""
    rows = run(
        f"""
        SELECT 1 FROM hits
        WHERE site_id = ? AND visitor_id IN (
            SELECT visitor_id FROM hits WHERE site_id = ? AND {in_window()}
        )
        GROUP BY visitor_id
        HAVING max(CAST(timestamp AS DATE)) - min(CAST(timestamp AS DATE)) > 1
            OR count(DISTINCT session_id // 86400) > 1
        LIMIT 1
        """,
        [site_id, site_id, start, end],
    )
    return bool(rows)


# The tables holding a site's rollups, which its deletion empties (with the mark of an unsummable site).
SITE_ROLLUP_TABLES = (
    "daily_rollups",
    "quarter_hour_rollups",
    "event_rollups",
    "visitor_quarter_hours",
    "visitor_crossings",
    "unsummable_sites",
)
