"""Visitor ids of closed, settled days renumbered: each visitor's random 64-bit hash becomes one of a run of
consecutive numbers, in the transaction that compacts the days (duckdb_compaction).

Why: a visitor id is a keyed hash (privacy/visitor_hash.py), 64 random bits that no encoding shrinks: in the
bench's compacted store they took 4.9 bytes a hit in `hits` (once per run of a visitor's hits) and 3.9 in
`settled_sessions` (once per session), 8.8 of 28.8. Numbers that count up in the compacted order need the bits
of a day's visitor count instead, and form runs and small steps that DuckDB bit-packs.

Why the answers stay the same: reports, rollups and settled sessions only ever compare visitor ids for
equality (distinct counts, grouping by session, joining a session to its hits). A renaming that keeps equal ids
equal and different ids different answers every report as before, so every hit carrying a renamed id must be
renamed with it, and no new number may equal an id that stays. Hence the conditions:

- Every hit of the sessions started on the renumbered days, and no other. By the two-day rule
  (duckdb_rollups: an id belongs to sessions of one start day, as the daily salt and the sessions' 24-hour cap
  make it), their ids are on no other session's hits. A site whose ids break the rule (an import's, a test's)
  keeps its ids.
- Only days whose sessions are over and whose hits have all arrived: the caller's `closed_before` is before
  any hit still waiting in a spool (jobs.py), and a session's last hit comes within a day of its start. A hit
  arriving later with an old id (a replayed spool segment) would otherwise count its visitor twice. The salt
  that made the ids is destroyed two days after its day began: no new hit can carry them.
- Each renumbering starts its run at a random 64-bit offset: ids renamed by two runs (neighbouring chunks, a
  day compacted again after late hits, another store's export imported) meet no more often than two hashes do.
  A day compacted again is renumbered again: its numbers, and any hash a late hit brought, get a new run.

Numbers follow the visitors' first session starts, so the compacted order (sessions by start) sees them rise.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from leadline.store.events.duckdb_rollups import DAY, Run, in_window, midnight, unix_seconds

# A run's offset leaves room for 2**40 visitors below the top of UBIGINT.
_OFFSET_LIMIT = 2**64 - 2**40


@dataclass(frozen=True)
class Renumbering:
    """The visitors of one site's sessions started on UTC days `first` to `last`, numbered in the temporary
    table `visitor_numbers` (old_id, new_id) of the compacting connection."""

    site_id: str
    first: date
    last: date

    @property
    def sessions(self) -> list[object]:
        """Parameters of `session_id >= ? AND session_id < ?` selecting the renumbered sessions."""
        return [unix_seconds(midnight(self.first)), unix_seconds(midnight(self.last) + DAY)]


def number_visitors(run: Run, site_id: str, first: date, last: date) -> Renumbering:
    """Number the visitors of the site's sessions started on UTC days `first` to `last` (inside the caller's
    transaction, before their hits are moved): the mapping for renumbered_select and renumber_other_hits."""
    renumbering = Renumbering(site_id, first, last)
    run("DROP TABLE IF EXISTS visitor_numbers", [])
    # Every hit of those sessions, wherever it lies: a session id names the second its session began.
    run(
        "CREATE TEMP TABLE visitor_numbers AS SELECT visitor_id AS old_id,"
        " CAST(? AS UBIGINT) + CAST(row_number() OVER (ORDER BY min(session_id), visitor_id) AS UBIGINT) AS new_id"
        " FROM hits WHERE site_id = ? AND session_id >= ? AND session_id < ? GROUP BY visitor_id",
        [secrets.randbelow(_OFFSET_LIMIT), site_id, *renumbering.sessions],
    )
    return renumbering


def renumbered_select(renumbering: Renumbering | None, source: str) -> tuple[str, list[object]]:
    """A SELECT of every row of the table `source` (shaped like hits), its visitor id renumbered if its session is;
    with its parameters."""
    if renumbering is None:
        return f"SELECT * FROM {source}", []
    return (
        f"SELECT {source}.* REPLACE (coalesce(numbers.new_id, {source}.visitor_id) AS visitor_id) FROM {source}"
        f" LEFT JOIN visitor_numbers AS numbers ON numbers.old_id = {source}.visitor_id"
        f" AND {source}.session_id >= ? AND {source}.session_id < ?",
        renumbering.sessions,
    )


def renumber_other_hits(run: Run, renumbering: Renumbering, moved: tuple[datetime, datetime]) -> None:
    """Renumber the hits of the renumbered sessions that the compaction did not move (those outside the
    `moved` time window: the day after its last holds the end of sessions begun on its last day), then drop
    the mapping."""
    run(
        "UPDATE live_hits SET visitor_id = numbers.new_id FROM visitor_numbers AS numbers"
        " WHERE live_hits.site_id = ? AND live_hits.session_id >= ? AND live_hits.session_id < ?"
        f" AND NOT ({in_window('live_hits.timestamp')}) AND live_hits.visitor_id = numbers.old_id",
        [renumbering.site_id, *renumbering.sessions, *moved],
    )
    run("DROP TABLE visitor_numbers", [])
