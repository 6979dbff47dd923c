"""One compiler from a planned query to SQL; engine differences come only from the Dialect it is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadline.query.bucketed import Bucket, bucketed_hit_part
from leadline.query.dialects import Dialect, Params, Setup
from leadline.query.model import EVENT_GROUPING, EXIT_DIMENSIONS, SortKey
from leadline.query.parts import hit_part, session_part, unsettled_from_setup
from leadline.query.plan import DAY, QueryPlan
from leadline.query.rolled import Middle, rolled_filtered_part, rolled_hit_part, rolled_session_part

# A row number past any answer's length: the cut of a batch member without a limit.
UNLIMITED_ROWS = 2**62


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    sql: str
    params: Params
    columns: tuple[str, ...]  # result columns: "date_key" / "field_key" when grouped, then the metrics
    setup: tuple[Setup, ...] = ()  # statements the store runs first, in the same snapshot (EventStore.fetch)
    reads_from: int | None = None  # no hit or settled session before this Unix second is read (EventStore.fetch)


def compile_report(
    plan: QueryPlan, dialect: Dialect, middle: Middle | None = None, buckets: list[Bucket] | None = None
) -> CompiledQuery:
    """The statement answering `plan`; with a `middle` (query/rolled.py), one that sums its rollups; with
    `buckets` (query/bucketed.py), one that counts its unique visitors bucket by bucket."""
    query = plan.query
    params = dialect.params()
    key_columns = [*(["date_key"] if query.date_grouping else []), *(["field_key"] if query.field_grouping else [])]
    fields = (query.field_grouping,) if query.field_grouping else ()
    parts = _parts(plan, dialect, params, fields, middle, buckets)
    if len(parts) == 1:
        source = f"({parts[0]}) AS answer"
    elif key_columns:
        source = (
            f"({parts[0]}) AS hit_side FULL OUTER JOIN ({parts[1]}) AS session_side USING ({', '.join(key_columns)})"
        )
    else:
        source = f"({parts[0]}) AS hit_side CROSS JOIN ({parts[1]}) AS session_side"
    selected = [*key_columns, *(f"coalesce({metric}, 0) AS {metric}" for metric in query.metrics)]
    sql = f"SELECT {', '.join(selected)} FROM {source}"
    sql += " ORDER BY " + ", ".join(_ordering(query.sort, query.metrics, key_columns, query.date_grouping is not None))
    if plan.row_limit is not None:
        sql += f" LIMIT {int(plan.row_limit)}"
    return CompiledQuery(
        sql=sql,
        params=params,
        columns=(*key_columns, *query.metrics),
        setup=unsettled_from_setup(plan, dialect),
        reads_from=first_second_read(plan),
    )


def first_second_read(plan: QueryPlan) -> int:
    """The first Unix second a plan's statement may read: its window's start, less the day its exit pages look
    back (parts._exit_pages), and a day's margin."""
    return max(plan.start - 2 * DAY, 0)


def _parts(
    plan: QueryPlan,
    dialect: Dialect,
    params: Params,
    fields: tuple[str, ...],
    middle: Middle | None,
    buckets: list[Bucket] | None = None,
) -> list[str]:
    """The hit side and the session side the query asks for, from the hits or (with a middle) the rollups."""
    query = plan.query
    parts = []
    if query.hit_metrics:
        if buckets is not None:
            parts.append(bucketed_hit_part(plan, dialect, params, middle, buckets))
        elif middle is None:
            parts.append(hit_part(plan, dialect, params, fields))
        elif query.filters:  # totals with one rolled-up filter (rolled.rolled_filter)
            parts.append(rolled_filtered_part(rolled_hit_part, plan, dialect, params, middle, query.hit_metrics))
        else:
            parts.append(rolled_hit_part(plan, dialect, params, fields, middle))
    if query.session_metrics:
        if middle is None:
            parts.append(session_part(plan, dialect, params, fields))
        elif query.filters:
            parts.append(
                rolled_filtered_part(rolled_session_part, plan, dialect, params, middle, query.session_metrics)
            )
        else:
            parts.append(rolled_session_part(plan, dialect, params, fields, middle))
    return parts


def _ordering(sort: tuple[SortKey, ...], metrics: tuple[str, ...], key_columns: list[str], by_date: bool) -> list[str]:
    terms: list[str] = []
    for item in sort:
        column = "date_key" if item.key == "date" else item.key if item.key in metrics else "field_key"
        terms.append(f"{column} {'DESC' if item.descending else 'ASC'}")
    if not terms:
        # Default order: chronological with a date grouping, else the first metric, largest first.
        terms.append("date_key ASC" if by_date else f"{metrics[0]} DESC")
    # Ties break on the keys, so answers (and limits) are deterministic on every engine.
    terms += [f"{column} ASC" for column in key_columns]
    return terms


def compile_batch(plans: Sequence[QueryPlan], dialect: Dialect, middle: Middle | None = None) -> CompiledQuery:
    """Several reports that differ only in their field grouping and limit (see query/batch.py) as one statement.

    One scan of the hits serves every report: a grouping set per field. Result columns: `batch_member` (the
    index of the report in `plans`), `field_key`, then the metrics; each member's rows come in its own report's
    default order (first metric largest first, then by key), cut at its own row limit.
    """
    template = plans[0].query
    if not dialect.grouping_sets or len(plans) < 2:
        raise ValueError("a batch needs two reports or more and an engine with grouping sets")
    if template.date_grouping or template.sort or bool(template.hit_metrics) == bool(template.session_metrics):
        raise ValueError("a batch groups by fields only, in the default order, on hits or on sessions")
    fields = tuple(str(plan.query.field_grouping) for plan in plans)
    if any(name in EXIT_DIMENSIONS or name == EVENT_GROUPING for name in fields):
        raise ValueError("exit pages and events are no grouping set of a batch")
    params = dialect.params()
    (part,) = _parts(plans[0], dialect, params, fields, middle)
    field_key = "CASE batch_member " + " ".join(f"WHEN {index} THEN field_{index}" for index in range(len(fields)))
    selected = ["batch_member", f"{field_key} END AS field_key"]
    selected += [f"coalesce({metric}, 0) AS {metric}" for metric in template.metrics]
    order = ", ".join(_ordering((), template.metrics, ["field_key"], by_date=False))
    sql = f"SELECT {', '.join(selected)} FROM ({part}) AS answer"
    row_limits = [plan.row_limit for plan in plans]
    if any(limit is not None for limit in row_limits):
        cuts = " ".join(f"WHEN {index} THEN {int(cut)}" for index, cut in enumerate(row_limits) if cut is not None)
        sql += f" QUALIFY row_number() OVER (PARTITION BY batch_member ORDER BY {order}) <= CASE batch_member {cuts}"
        sql += f" ELSE {UNLIMITED_ROWS} END"
    sql += f" ORDER BY batch_member ASC, {order}"
    columns = ("batch_member", "field_key", *template.metrics)
    return CompiledQuery(
        sql=sql,
        params=params,
        columns=columns,
        setup=unsettled_from_setup(plans[0], dialect),
        reads_from=min(first_second_read(plan) for plan in plans),
    )
