"""The parts of a report's SQL: its hit side and its session side over a window, for any engine's Dialect.

query/compile.py assembles them into one statement (and query/rolled.py into one that sums rollups over the
settled middle of a long window).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from leadline.query.dialects import Dialect, Params, Setup
from leadline.query.model import DIMENSIONS, EVENT_GROUPING, EXIT_DIMENSIONS, Entity, Filter, ReportQuery
from leadline.query.plan import DAY, QueryPlan
from leadline.store.events import HitKind
from leadline.store.events.base import LAST_PAGEVIEW_ORDER

HITS = "hits"
# The DuckDB variable a report's setup sets to where its unsettled sessions begin (unsettled_from_setup).
UNSETTLED_FROM = "leadline_unsettled_from"


def _dimension(name: str, prefix: str, exit_page: str) -> str:
    """SQL for a dimension's value on a hits row whose columns are qualified by `prefix` ("" for none; see
    Dialect.column_prefix); `exit_page` is the SQL of the session's exit page where the query has joined it in
    (see model.EXIT_DIMENSIONS)."""
    # The allow-list is the only way a name reaches SQL text.
    if name == EVENT_GROUPING:
        return f"{prefix}event_id"  # names are metadata: the report turns ids into names after the query
    if name not in DIMENSIONS:
        raise ValueError(f"not a dimension: {name!r}")
    if name in EXIT_DIMENSIONS:
        return exit_page
    if name == "referrer":  # as the oracle defines it: host then path, nothing for a direct visit
        host, path = f"{prefix}referrer_hostname", f"{prefix}referrer_pathname"
        return f"(CASE WHEN {host} = '' THEN '' ELSE concat({host}, {path}) END)"
    return f"{prefix}{name}"


def uses_exit(query: ReportQuery) -> bool:
    return query.field_grouping in EXIT_DIMENSIONS or any(item.field in EXIT_DIMENSIONS for item in query.filters)


def needs_session_stats(query: ReportQuery) -> bool:
    """Whether the session part needs each session's other hits (its per-session pass): for bounce rate and
    duration, and for the exit page (a session's last pageview)."""
    return bool({"avg_duration", "bounce_rate"} & set(query.session_metrics)) or uses_exit(query)


def naive_utc(unix_seconds: int) -> datetime:
    """Unix seconds as the stores keep instants (naive UTC)."""
    return datetime.fromtimestamp(unix_seconds, UTC).replace(tzinfo=None)


def timestamp_param(params: Params, unix_seconds: int) -> str:
    return params.add(naive_utc(unix_seconds), "DateTime64(6)")


def _offset(plan: QueryPlan, dialect: Dialect, params: Params, moment: str, as_seconds: bool) -> str:
    """The UTC offset (seconds) at `moment`: a constant, or a CASE over the plan's few DST steps."""
    steps = plan.offsets
    if len(steps) == 1:
        return str(steps[0][1])
    branches = []
    for (_, offset), (next_start, _) in itertools.pairwise(steps):
        bound = str(next_start) if as_seconds else timestamp_param(params, next_start)
        branches.append(f"WHEN {moment} < {bound} THEN {offset}")
    return f"(CASE {' '.join(branches)} ELSE {steps[-1][1]} END)"


def date_bucket(plan: QueryPlan, dialect: Dialect, params: Params, moment: str, as_seconds: bool) -> str:
    grouping = plan.query.date_grouping
    if grouping is None:
        raise ValueError("no date grouping")
    timestamp = dialect.from_unix_seconds(moment) if as_seconds else dialect.stored_instant(moment)
    local = dialect.shift_seconds(timestamp, _offset(plan, dialect, params, moment, as_seconds))
    return dialect.truncate(grouping, local)


def _condition(dialect: Dialect, params: Params, column: str, item: Filter) -> str:
    value = params.add(item.value, "String")
    if item.operator == "is":
        return f"{column} = {value}"
    if item.operator == "is not":
        return f"{column} <> {value}"
    if item.operator == "is like":
        return dialect.contains_case_insensitive(column, value)
    if item.operator == "is not like":
        return f"NOT ({dialect.contains_case_insensitive(column, value)})"
    if item.operator == "matching":
        return dialect.regex_matches(column, value)
    if item.operator == "not matching":
        return f"NOT ({dialect.regex_matches(column, value)})"
    raise ValueError(f"unknown operator {item.operator!r}")


def hit_part(plan: QueryPlan, dialect: Dialect, params: Params, fields: tuple[str, ...]) -> str:
    query = plan.query
    keys: list[str] = []
    if query.date_grouping:
        keys.append(f"{date_bucket(plan, dialect, params, 'timestamp', as_seconds=False)} AS date_key")
    exit_page = "coalesce(exits.exit_pathname, '')"  # '' for a session without a pageview, as in the oracle
    keys += field_keys(fields, "", exit_page)
    source = HITS
    if uses_exit(query):
        hits = dialect.column_prefix(HITS)
        source += f" LEFT JOIN {_exit_pages(plan, dialect, params)} ON exits.exit_visitor_id = {hits}visitor_id" + (
            f" AND exits.exit_session_id = {hits}session_id"
        )
    where = [f"site_id = {params.add(query.site_id, 'String')}"]
    if query.entity is Entity.PAGEVIEW:
        where.append(f"kind = {HitKind.PAGEVIEW:d}")
        measures = {
            "pageviews": "count(*)",
            "uniques": dialect.count_distinct("visitor_id"),
        }
    else:
        where.append(f"kind = {HitKind.EVENT:d}")
        if query.event_name is not None:  # without one, the query groups by event
            where.append(f"event_id = {params.add(plan.event_id or '', 'String')}")
        measures = {
            "conversions": "count(*)",
            "unique_conversions": dialect.count_distinct("visitor_id"),
            "value": "sum(value)",
        }
    where += [
        f"timestamp >= {timestamp_param(params, plan.start)}",
        f"timestamp < {timestamp_param(params, plan.end)}",
    ]
    where += [_condition(dialect, params, _dimension(item.field, "", exit_page), item) for item in query.filters]
    selected = [*keys, *batch_member(fields), *(f"{measures[metric]} AS {metric}" for metric in query.hit_metrics)]
    sql = f"SELECT {', '.join(selected)} FROM {source} WHERE {' AND '.join(where)}"
    return sql + group_by(keys, fields)


def field_keys(fields: tuple[str, ...], prefix: str, exit_page: str) -> list[str]:
    """The select items of the field grouping: `field_key`, or `field_0`, `field_1`, ... for a batch."""
    if len(fields) == 1:
        return [f"{_dimension(fields[0], prefix, exit_page)} AS field_key"]
    return [f"{_dimension(name, prefix, exit_page)} AS field_{index}" for index, name in enumerate(fields)]


def batch_member(fields: tuple[str, ...]) -> list[str]:
    """For a batch: which of its reports (index into `fields`) a result row belongs to, from its grouping set."""
    if len(fields) < 2:
        return []
    branches = " ".join(f"WHEN grouping(field_{index}) = 0 THEN {index}" for index in range(len(fields)))
    return [f"CASE {branches} END AS batch_member"]


def group_by(keys: list[str], fields: tuple[str, ...]) -> str:
    """GROUP BY the keys' aliases; for a batch, one grouping set per field (no date key: see compile_batch)."""
    aliases = [key.rsplit(" AS ", 1)[1] for key in keys]
    if len(fields) > 1:
        return " GROUP BY GROUPING SETS (" + ", ".join(f"({alias})" for alias in aliases) + ")"
    return " GROUP BY " + ", ".join(aliases) if aliases else ""


def _exit_pages(plan: QueryPlan, dialect: Dialect, params: Params) -> str:
    """Each session's exit page, for the sessions the window's hits can belong to.

    A hit in the window belongs to a session that started at most a day before it, and the session's pageviews
    lie within a day of its start. Columns are renamed so that the hits they are joined to keep plain names.
    """
    earliest = max(plan.start - DAY, 0)
    return (
        f"(SELECT visitor_id AS exit_visitor_id, session_id AS exit_session_id,"
        f" {dialect.arg_max('pathname', LAST_PAGEVIEW_ORDER)} AS exit_pathname FROM {HITS} AS pageviews_of_sessions"
        f" WHERE site_id = {params.add(plan.query.site_id, 'String')} AND kind = {HitKind.PAGEVIEW:d}"
        f" AND session_id >= {params.add(earliest, 'UInt64')} AND session_id < {params.add(plan.end, 'UInt64')}"
        f" AND timestamp >= {timestamp_param(params, earliest)}"
        f" AND timestamp < {timestamp_param(params, plan.end + DAY)}"
        " GROUP BY visitor_id, session_id) AS exits"
    )


def session_part(
    plan: QueryPlan, dialect: Dialect, params: Params, fields: tuple[str, ...], *, sums: bool = False
) -> str:
    """Sessions that start in the window, counted at their entry pageview (flagged at ingest).

    Bounce rate and duration need each session's other hits too: those come from a per-session pass over
    the window and the day after it (sessions last at most 24 hours), joined on (visitor, session).
    With `sums`, the avg_duration and bounce_rate columns hold the sums the means divide (seconds, bounces),
    so that parts of a window add up (query/rolled.py).
    """
    query = plan.query

    def in_sessions(table: str) -> str:
        of = dialect.column_prefix(table)
        return (
            f"{of}site_id = {params.add(query.site_id, 'String')}"
            f" AND {of}session_id >= {params.add(plan.start, 'UInt64')}"
            f" AND {of}session_id < {params.add(plan.end, 'UInt64')}"
            f" AND {of}timestamp >= {timestamp_param(params, plan.start)}"
            f" AND {of}timestamp < {timestamp_param(params, plan.end + DAY)}"
        )

    exits_needed = uses_exit(query)
    # The per-session pass also finds each session's exit page (its last pageview), when that is asked for.
    needs_stats = needs_session_stats(query)
    entry_filters = [item for item in query.filters if item.field not in EXIT_DIMENSIONS]
    exit_filters = [item for item in query.filters if item.field in EXIT_DIMENSIONS]
    grouped_by_entry = any(name not in EXIT_DIMENSIONS for name in fields)
    needs_entry = grouped_by_entry or bool(entry_filters) or not needs_stats
    exit_page = "stats.exit_pathname"
    # Without entry attributes to group or filter by, the per-session pass alone answers (no join).
    entries = dialect.column_prefix("entries")
    session_start = f"{entries}session_id" if needs_entry else "stats.session_id"
    # Keys first: their SQL comes first, and any parameters must be added in the order they appear.
    keys: list[str] = []
    if query.date_grouping:
        keys.append(f"{date_bucket(plan, dialect, params, session_start, as_seconds=True)} AS date_key")
    keys += field_keys(fields, entries, exit_page)
    bounced = "CASE WHEN stats.pageviews = 1 THEN 1.0 ELSE 0.0 END"
    measures = {
        "visits": "count(*)",
        "avg_duration": "sum(stats.duration)" if sums else dialect.average("stats.duration"),
        "bounce_rate": f"sum({bounced})" if sums else dialect.average(bounced),
    }
    selected = [*keys, *batch_member(fields), *(f"{measures[metric]} AS {metric}" for metric in query.session_metrics)]
    stats = ""
    if needs_stats:
        per_session = [f"{dialect.count_if(f'kind = {HitKind.PAGEVIEW:d}')} AS pageviews"]
        if "avg_duration" in query.session_metrics:  # the first-to-last span is the costly part: only when asked
            per_session.append(f"{dialect.seconds_between('min(timestamp)', 'max(timestamp)')} AS duration")
        if exits_needed:
            pageview = f"kind = {HitKind.PAGEVIEW:d}"
            per_session.append(f"{dialect.arg_max_if('pathname', LAST_PAGEVIEW_ORDER, pageview)} AS exit_pathname")
        # Parameters are positional: each part's SQL is made in the order the parts appear.
        settled = ""
        if dialect.settled_sessions:
            # Sessions of settled days are rows already (store/events/duckdb_compaction.py): the hits are grouped
            # only for the other days' sessions. Both sides read one snapshot, so no session counts twice.
            settled_columns = ["pageviews"]
            if "avg_duration" in query.session_metrics:
                settled_columns.append("CAST(duration_s AS DOUBLE) AS duration")
            if exits_needed:
                settled_columns.append("exit_pathname")
            settled = (
                f"SELECT visitor_id, session_id, {', '.join(settled_columns)} FROM settled_sessions"
                f" WHERE site_id = {params.add(query.site_id, 'String')}"
                f" AND session_id >= {params.add(plan.start, 'UInt64')}"
                f" AND session_id < {params.add(plan.end, 'UInt64')}"
                f" AND session_id // {DAY} IN {settled_days(params, query.site_id)} UNION ALL "
            )
        grouped = (
            f"SELECT visitor_id, session_id, {', '.join(per_session)} FROM {HITS} AS hits_of_sessions"
            f" WHERE {in_sessions('hits_of_sessions')}"
        )
        if settled:
            # The lower bound lets the scan skip the settled days before the first unsettled one (a constant once
            # the setup statement has set it: see unsettled_from_setup); the NOT IN excludes the later ones.
            grouped += f" AND session_id >= getvariable('{UNSETTLED_FROM}')"
            grouped += f" AND session_id // {DAY} NOT IN {settled_days(params, query.site_id)}"
        stats = f"({settled}{grouped} GROUP BY visitor_id, session_id) AS stats"
    if not needs_entry:
        conditions = ["stats.pageviews > 0"]
        conditions += [_condition(dialect, params, exit_page, item) for item in exit_filters]
        sql = f"SELECT {', '.join(selected)} FROM {stats} WHERE {' AND '.join(conditions)}"
        return sql + group_by(keys, fields)
    source = f"{HITS} AS entries"
    if needs_stats:
        source += f" INNER JOIN {stats} {dialect.join_on_session('stats', 'entries')}"
    where = [f"{entries}entry", in_sessions("entries")]
    where += [_condition(dialect, params, _dimension(item.field, entries, exit_page), item) for item in query.filters]
    sql = f"SELECT {', '.join(selected)} FROM {source} WHERE {' AND '.join(where)}"
    return sql + group_by(keys, fields)


def unsettled_from_setup(plan: QueryPlan, dialect: Dialect) -> tuple[Setup, ...]:
    """Where the settled sessions are used (see session_part), the statement that sets UNSETTLED_FROM: the
    first second of the window's first day whose sessions are not settled (the window's end if there is none)."""
    query = plan.query
    if not (dialect.settled_sessions and query.session_metrics and needs_session_stats(query)):
        return ()
    params = dialect.params()
    first_day, last_day = plan.start // DAY, max(plan.end - 1, plan.start) // DAY
    sql = (
        f"SET VARIABLE {UNSETTLED_FROM} = (SELECT CAST(coalesce(min(day), {int(last_day) + 1}) * {DAY} AS UBIGINT)"
        f" FROM range({int(first_day)}, {int(last_day) + 1}) AS days(day)"
        f" WHERE day NOT IN {settled_days(params, query.site_id)})"
    )
    return ((sql, params),)


def settled_days(params: Params, site_id: str) -> str:
    """The UTC days (numbered from 1970-01-01) whose sessions of the site are settled: settled and not pending
    again since (a late hit or a deletion marks a day pending in the transaction that changes it)."""
    return (
        "(SELECT settled.day - DATE '1970-01-01' FROM settled_days AS settled"
        f" WHERE settled.site_id = {params.add(site_id, 'String')} AND NOT EXISTS (SELECT 1 FROM pending_days"
        " AS pending WHERE pending.site_id = settled.site_id AND pending.day = settled.day))"
    )
