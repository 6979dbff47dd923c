"""Storage layouts for settled days: DuckDB's own tables against the same rows as Parquet files (ZSTD).

Issue 14 asks for <= 12 bytes per hit on the embedded store. Compacted, DuckDB's tables hold ~18 (the hits ~14
of it: string columns at their dictionary's bit width on every row, ~8 together, as DuckDB has no RLE for strings
and its ZSTD compresses one vector at a time; visitor ids ~1.9, numbered by the compaction:
store/events/duckdb_visitor_numbers.py; timestamps ~1.5, whole seconds since base.Hit cut them, 4.3 before).
This bench measures what a store would take if the settled days' rows were kept as Parquet files instead, and
what that costs the reports that read hits:

- bytes per hit of every table in the store as it is, of each column of `hits`, and of the same `hits` and
  `settled_sessions` rows written to Parquet in compacted order (ZSTD, one row group per million rows). A
  table's bytes are its segments' (a block's unused tail is counted to the block's last segment, so a column's
  figure can be a little high: a column holding only '' showed 0.77 bytes per hit);
- the totals those layouts would reach (rollups stay tables), each beside the 12-byte target;
- the same rows as DuckDB tables again, re-encoded as a settled day could be once its salt is gone (`--re-encode`):
  visitor ids as small numbers per site in order of first appearance (as the compaction now numbers them, per
  run of days: little further gain on a store compacted since), timestamps as BIGINT seconds since the epoch
  (as TIMESTAMP_S, which the store now uses, keeps them) and empty strings as NULL;
- four reports that read hits (filtered ones, unique visitors, sessions) over the native table and over the
  Parquet file, p50 of 5, answers checked equal.

It reads a store that `bench/query.py --keep DIR` made and compacted, and writes nothing into it (the
Parquet files go to a scratch directory). It measures a layout Leadline does not have, so it gates nothing:
a missed target is printed, and the exit code says only whether the answers agreed.

    .venv/bin/python bench/storage_layouts.py DIR [--re-encode] [--zstd-level 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from leadline.store.events.duckdb_compaction import COMPACTED_ORDER

TARGET_BYTES_PER_HIT = 12.0
REPETITIONS = 5
# Reports that read hits (no rollup answers them), on the busiest site: {hits} is the table or the file.
REPORTS = {
    "top pages from Google, 12 months": """
        SELECT pathname, count(*) FROM {hits}
        WHERE site_id = $site AND kind = 1 AND referrer_hostname = 'www.google.com'
          AND timestamp > $last - INTERVAL 365 DAY
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10""",
    "visitors from Germany, 12 months": """
        SELECT count(*), count(DISTINCT visitor_id) FROM {hits}
        WHERE site_id = $site AND country_code = 'DE'
          AND timestamp > $last - INTERVAL 365 DAY""",
    "unique visitors by day, 30 days": """
        SELECT CAST(timestamp AS DATE) AS day, count(DISTINCT visitor_id) FROM {hits}
        WHERE site_id = $site AND timestamp > $last - INTERVAL 30 DAY
        GROUP BY 1 ORDER BY 1""",
    "sessions' pageviews and duration, 30 days": """
        SELECT count(*), sum(pageviews), sum(duration) FROM (
            SELECT count(*) FILTER (WHERE kind = 1) AS pageviews, epoch_us(max(timestamp)) - epoch_us(min(timestamp))
                AS duration
            FROM {hits}
            WHERE site_id = $site AND timestamp > $last - INTERVAL 30 DAY
            GROUP BY visitor_id, session_id)""",
}


def one_row(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...]:
    row = connection.execute(sql).fetchone()
    if row is None:
        raise SystemExit(f"no answer to {sql}")
    return tuple(row)


def table_bytes(connection: duckdb.DuckDBPyConnection, schema: str) -> dict[tuple[str, str], int]:
    """Bytes of each (table, column) of `schema`: the segments' share of the blocks they sit in."""
    rows = connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND NOT internal", [schema]
    ).fetchall()
    segments: dict[int, list[tuple[int, str, str, int]]] = {}
    for (table,) in rows:
        info = connection.execute(
            "SELECT column_name, block_id, block_offset, len(coalesce(additional_block_ids, []))"
            f" FROM pragma_storage_info('{schema}.{table}') WHERE persistent AND block_id >= 0"
        ).fetchall()
        for column, block, offset, extra in info:
            segments.setdefault(int(block), []).append((int(offset), str(table), str(column), int(extra)))
    block_size = int(
        str(one_row(connection, f"SELECT block_size FROM pragma_database_size() WHERE database_name = '{schema}'")[0])
    )
    sizes: dict[tuple[str, str], int] = {}
    for in_block in segments.values():
        in_block.sort()
        for position, (offset, table, column, extra) in enumerate(in_block):
            end = in_block[position + 1][0] if position + 1 < len(in_block) else block_size
            sizes[table, column] = sizes.get((table, column), 0) + end - offset + extra * block_size
    return sizes


def to_parquet(connection: duckdb.DuckDBPyConnection, select: str, path: Path, zstd_level: int) -> None:
    """Write the rows of `select`, in its order, to a Parquet file: ZSTD, one row group per million rows."""
    connection.execute(
        f"COPY ({select}) TO '{path}'"
        f" (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {zstd_level}, ROW_GROUP_SIZE 1000000)"
    )


def parquet_bytes(connection: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    rows = connection.execute(
        "SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata(?) GROUP BY 1", [str(path)]
    ).fetchall()
    return {str(column): int(size) for column, size in rows}


def re_encoded_bytes(path: Path, store: Path, hits: int, zstd_level: int) -> tuple[int, int]:
    """Bytes of `hits` and `settled_sessions` copied into a new DuckDB file at `path`, in their stored order, with
    visitor ids as per-site ordinals, timestamps as epoch seconds (BIGINT) and NULL for ''; and of the same two
    tables as Parquet files beside it (ZSTD at `zstd_level`). Prints both, table by table."""
    connection = duckdb.connect(str(path))
    try:
        # One thread keeps the rows in the order they are read: the order is what makes them compress.
        connection.execute("SET threads = 1")
        connection.execute(f"ATTACH '{store}' AS store (READ_ONLY)")
        connection.execute(
            "CREATE TEMP TABLE ordinals AS SELECT site_id, visitor_id, row_number() OVER"
            " (PARTITION BY site_id ORDER BY min(rowid)) AS ordinal FROM store.hits GROUP BY site_id, visitor_id"
        )
        strings = connection.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'store' AND table_name = 'hits'"
            " AND data_type = 'VARCHAR' AND column_name <> 'site_id'"
        ).fetchall()
        emptied = ", ".join(f"nullif({column}, '') AS {column}" for (column,) in strings)
        connection.execute(
            "CREATE TABLE hits AS SELECT stored.* EXCLUDE (stored_row) REPLACE (ordinal::UBIGINT AS visitor_id,"
            f" epoch(timestamp)::BIGINT AS timestamp, {emptied})"
            " FROM (SELECT *, rowid AS stored_row FROM store.hits) AS stored JOIN ordinals USING (site_id, visitor_id)"
            " ORDER BY stored_row"
        )
        connection.execute(
            "CREATE TABLE settled_sessions AS SELECT stored.* EXCLUDE (stored_row)"
            " REPLACE (ordinal::UBIGINT AS visitor_id)"
            " FROM (SELECT *, rowid AS stored_row FROM store.settled_sessions) AS stored"
            " JOIN ordinals USING (site_id, visitor_id) ORDER BY stored_row"
        )
        connection.execute("CHECKPOINT")
        sizes = table_bytes(connection, path.stem)
        in_parquet = {}
        for table in ("hits", "settled_sessions"):
            file = path.with_name(f"re-encoded-{table}.parquet")
            to_parquet(connection, f"SELECT * FROM {table}", file, zstd_level)
            in_parquet[table] = sum(parquet_bytes(connection, file).values())
    finally:
        connection.close()
    print("\nre-encoded (visitor ordinals, epoch seconds, '' as NULL), bytes per hit: table / Parquet (ZSTD)")
    for table in ("hits", "settled_sessions"):
        columns = sorted(((size, column) for (owner, column), size in sizes.items() if owner == table), reverse=True)
        largest = ", ".join(f"{column} {size / hits:.2f}" for size, column in columns[:4])
        in_table = sum(size for size, _ in columns)
        print(f"  {per_hit(in_table, hits)} / {per_hit(in_parquet[table], hits)}  {table} (table: {largest}, ...)")
    return sum(sizes.values()), sum(in_parquet.values())


def per_hit(size: float, hits: int) -> str:
    return f"{size / hits:6.2f}"


def beside_target(size: float, hits: int) -> str:
    verdict = "met" if size / hits <= TARGET_BYTES_PER_HIT else "MISSED"
    return f"{per_hit(size, hits)} bytes per hit (target <= {TARGET_BYTES_PER_HIT:g}: {verdict})"


def timed(connection: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> tuple[float, list[str]]:
    times, answer = [], []
    for _ in range(REPETITIONS):
        started = time.perf_counter()
        answer = sorted(map(str, connection.execute(sql, params).fetchall()))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path, help="a data directory bench/query.py --keep made (events.duckdb in it)")
    parser.add_argument("--zstd-level", type=int, default=3)
    parser.add_argument("--re-encode", action="store_true", help="also measure the re-encoded tables (a few minutes)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="leadline-layouts-"))
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH '{args.store / 'events.duckdb'}' AS store (READ_ONLY)")
        hits = int(str(one_row(connection, "SELECT count(*) FROM store.hits")[0]))
        native = table_bytes(connection, "store")
        by_table: dict[str, int] = {}
        for (table, _), size in native.items():
            by_table[table] = by_table.get(table, 0) + size
        print(f"{hits:,} hits; the store as it is (DuckDB tables, bytes per hit):")
        for table, size in sorted(by_table.items(), key=lambda item: -item[1]):
            print(f"  {per_hit(size, hits)}  {table}")
        rollups = sum(size for table, size in by_table.items() if table not in ("hits", "settled_sessions"))
        print(f"  total: {beside_target(sum(by_table.values()), hits)}")

        files = {table: scratch / f"{table}.parquet" for table in ("hits", "settled_sessions")}
        orders = {"hits": f"site_id, {COMPACTED_ORDER}", "settled_sessions": "site_id, session_id, visitor_id"}
        for table, path in files.items():
            to_parquet(connection, f"SELECT * FROM store.{table} ORDER BY {orders[table]}", path, args.zstd_level)
        in_parquet = {table: parquet_bytes(connection, path) for table, path in files.items()}
        print("\nhits, column by column (bytes per hit): DuckDB table / Parquet (ZSTD)")
        columns = sorted((size, column) for (table, column), size in native.items() if table == "hits")
        for size, column in reversed(columns):
            print(f"  {per_hit(size, hits)} / {per_hit(in_parquet['hits'].get(column, 0), hits)}  {column}")
        parquet_hits = sum(in_parquet["hits"].values())
        parquet_sessions = sum(in_parquet["settled_sessions"].values())
        print(
            f"\nhits as Parquet: {per_hit(parquet_hits, hits)} bytes per hit (table: {per_hit(by_table['hits'], hits)})"
        )
        print(
            f"settled sessions as Parquet: {per_hit(parquet_sessions, hits)} bytes per hit"
            f" (table: {per_hit(by_table.get('settled_sessions', 0), hits)})"
        )
        print(f"rollups and bookkeeping (tables either way): {per_hit(rollups, hits)} bytes per hit")
        both = beside_target(parquet_hits + parquet_sessions + rollups, hits)
        print(f"hits and settled sessions as Parquet, rollups as tables: {both}")
        print(f"hits as Parquet, rollups as tables, no settled sessions: {beside_target(parquet_hits + rollups, hits)}")

        if args.re_encode:
            store = args.store / "events.duckdb"
            as_tables, as_files = re_encoded_bytes(scratch / "re-encoded.duckdb", store, hits, args.zstd_level)
            print(f"both re-encoded as tables, rollups as they are: {beside_target(as_tables + rollups, hits)}")
            print(f"both re-encoded as Parquet, rollups as tables: {beside_target(as_files + rollups, hits)}")

        site, last = one_row(
            connection, "SELECT site_id, max(timestamp) FROM store.hits GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        params: dict[str, object] = {"site": site, "last": last}
        print(f"\nreports that read hits, busiest site ({site}), p50 of {REPETITIONS}:   table   Parquet   ratio")
        agreed = True
        for name, sql in REPORTS.items():
            table_ms, table_answer = timed(connection, sql.format(hits="store.hits"), params)
            file_ms, file_answer = timed(connection, sql.format(hits=f"read_parquet('{files['hits']}')"), params)
            agreed &= table_answer == file_answer
            same = "" if table_answer == file_answer else "  ANSWERS DIFFER"
            print(f"  {name:44} {table_ms:7.1f} ms {file_ms:7.1f} ms  {file_ms / table_ms:5.2f}x{same}")
    finally:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)
    if not agreed:
        sys.exit(1)


if __name__ == "__main__":
    main()
