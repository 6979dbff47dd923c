"""`leadline vacuum`: the embedded event store's file, rewritten without the space deleted rows left, answers every
report as before; it refuses while a server holds the store, and says why when there is nothing to rewrite."""

from __future__ import annotations

import json
import random
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from leadline.store.events import Hit, HitKind
from leadline.store.events.base import hit_to_row
from leadline.store.events.duckdb import DuckDBEventStore
from leadline.store.events.duckdb_rewrite import rewrite_file
from tests.live_server import run_leadline
from tests.store.test_duckdb_compaction import (
    EVERY_DAY_CLOSED,
    FIXED_REPORTS,
    Stores,
    assert_report_equals_oracle,
    fixed_report,
    month_of_traffic,
)

FROZEN_BEFORE = date(2026, 6, 10)  # every day of month_of_traffic (May 2026) goes to the cold tier


def bulky_rows(site_id: str, count: int = 200_000) -> list[list[object]]:
    """Hits in May 2026 that compress badly (random visitors, one page each): megabytes of blocks to free."""
    rng = random.Random(5)
    start = int(datetime(2026, 5, 2, tzinfo=UTC).timestamp())
    rows = []
    for number in range(count):
        second = start + number * 10
        hit = Hit(
            site_id,
            datetime.fromtimestamp(second, UTC).replace(tzinfo=None),
            HitKind.PAGEVIEW,
            rng.getrandbits(64),
            second,
            "example.com",
            f"/{rng.getrandbits(40):x}",
        )
        rows.append(hit_to_row(hit))
    return rows


def test_a_store_whose_old_days_went_cold_shrinks_and_answers_as_before(tmp_path: Path) -> None:
    stores = Stores(tmp_path)
    try:
        site = stores.new_site()
        hits = month_of_traffic(site)
        stores.events.insert_hits(hits)
        other = stores.new_site()
        stores.events.insert_batch("bulk", bulky_rows(other))
        stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=date(2000, 1, 1))  # all in the tables
        stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)  # as an upgrade would
        stores.events.delete_site_data(other)
        cold = sorted(path.name for path in (tmp_path / "events.duckdb.cold").iterdir())
        stores.events.close()
        before = stores.path.stat().st_size

        done = rewrite_file(stores.path)

        assert (done.bytes_before, done.bytes_after) == (before, stores.path.stat().st_size)
        assert done.bytes_after < before / 2  # the bulky site's blocks, freed by the freeze and the deletion
        assert stat.S_IMODE(stores.path.stat().st_mode) == 0o600
        assert not [path.name for path in tmp_path.iterdir() if "rewrite" in path.name or path.suffix == ".wal"]
        assert sorted(path.name for path in (tmp_path / "events.duckdb.cold").iterdir()) == cold
        stores.reopen_events()
        for params in FIXED_REPORTS:
            assert_report_equals_oracle(stores, fixed_report(site, params), hits)
        assert stores.events.count_hits(other) == 0
    finally:
        stores.close()


HOLDER = textwrap.dedent(
    """
    import sys
    from leadline.store.events.duckdb import DuckDBEventStore
    store = DuckDBEventStore(sys.argv[1])
    print("holding", flush=True)
    sys.stdin.read()  # until the test closes it
    store.close()
    """
)


@pytest.fixture
def data_dir_with_hits(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    store = DuckDBEventStore(data_dir / "events.duckdb")
    store.insert_hits(month_of_traffic("SITE", days=8))
    store.close()
    return data_dir


def test_the_command_refuses_while_a_server_holds_the_store_then_rewrites_it(data_dir_with_hits: Path) -> None:
    path = data_dir_with_hits / "events.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        refused = run_leadline(data_dir_with_hits, "vacuum")
        assert refused.returncode == 2
        assert "in use (a running server holds it): stop the server" in refused.stderr
    finally:
        holder.communicate(timeout=60)

    done = run_leadline(data_dir_with_hits, "vacuum", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert list(answer) == ["path", "bytes_before", "bytes_after", "seconds"]
    assert answer["path"] == str(path.resolve()) and answer["bytes_after"] == path.stat().st_size
    store = DuckDBEventStore(path)
    assert store.count_hits("SITE") == len(month_of_traffic("SITE", days=8))
    store.close()


def test_the_command_says_when_there_is_no_embedded_store_to_rewrite(tmp_path: Path) -> None:
    elsewhere = run_leadline(tmp_path, "vacuum", env={"LEADLINE_EVENTS_URL": "clickhouse://127.0.0.1:1/leadline"})
    assert elsewhere.returncode == 2 and "not: nothing to do" in elsewhere.stderr
    missing = run_leadline(tmp_path / "empty", "vacuum")
    assert missing.returncode == 2 and "no event store at" in missing.stderr
