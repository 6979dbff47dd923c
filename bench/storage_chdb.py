"""Bytes per hit on current ClickHouse (chDB, in-process) with the layout Leadline creates there.

ClickHouse 18.16, the cluster the tests run, has no column codecs and no production LowCardinality, so the
store uses both only where the server has them (clickhouse_schema.ServerFeatures). This measures what they
give: the hits of a DuckDB store kept by bench/query.py or bench/dashboard.py (`--keep DIR`) are copied into a
chDB MergeTree created by the same DDL as the ClickHouse store's for a current server, merged (OPTIMIZE FINAL,
as a store that has run a while), and measured in system.parts, with the largest columns.

    .venv/bin/python bench/storage_chdb.py --keep DIR
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadline.store.events.base import HIT_COLUMNS
from leadline.store.events.clickhouse_schema import ServerFeatures, hits_table_ddl

# chDB ships no type hints: its session is used as Any.
chdb_session: Any = importlib.import_module("chdb.session")
TABLE = "hits"
TARGET_BYTES_PER_HIT = 12  # issue 14's target for the embedded store, the yardstick here too


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, required=True, help="a data directory with events.duckdb")
    args = parser.parse_args()

    source = duckdb.connect(str(args.keep / "events.duckdb"), read_only=True)
    columns = ", ".join("epoch_us(timestamp) AS timestamp" if name == "timestamp" else name for name in HIT_COLUMNS)
    hits = source.sql(f"SELECT {columns}, 0::UBIGINT AS batch FROM hits").to_arrow_table()  # noqa: F841 (chDB reads it)
    source.close()

    directory = Path(tempfile.mkdtemp(prefix="leadline-chdb-storage-"))
    try:
        store = chdb_session.Session(str(directory))
        version = str(store.query("SELECT version()", "CSV")).strip().strip('"')
        features = ServerFeatures.from_version_text(version)
        store.query(hits_table_ddl(TABLE, features))
        started = time.perf_counter()
        store.query(f"INSERT INTO {TABLE} SELECT * FROM Python(hits)")
        store.query(f"OPTIMIZE TABLE {TABLE} FINAL")
        loaded = time.perf_counter() - started
        count = int(str(store.query(f"SELECT count() FROM {TABLE}", "CSV")).strip())
        size = int(
            str(
                store.query(f"SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND table = '{TABLE}'", "CSV")
            ).strip()
        )
        print(f"ClickHouse {version} (chDB): codecs {features.codecs}, LowCardinality {features.low_cardinality}")
        print(f"{count:,} hits copied and merged in {loaded:.1f} s: {size / 1e6:,.1f} MB on disk")
        print(f"{size / count:.1f} bytes per hit")
        print(f"  (target for the embedded store: <= {TARGET_BYTES_PER_HIT})")
        sizes = str(
            store.query(
                f"SELECT name, data_compressed_bytes FROM system.columns WHERE table = '{TABLE}' "
                "ORDER BY data_compressed_bytes DESC LIMIT 8",
                "CSV",
            )
        )
        for line in sizes.strip().splitlines():
            name, compressed = line.split(",")
            print(f"  {name.strip(chr(34)):<20} {int(compressed) / count:5.1f} bytes per hit")
        store.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
