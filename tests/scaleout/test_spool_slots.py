"""Each worker spools into its own directory; directories of workers that no longer run are emptied."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson

from leadline.collect.spool import frame
from leadline.jobs import flush_unclaimed_spools
from leadline.store.events import Hit, HitKind, open_event_store
from leadline.store.events.base import hit_to_row
from leadline.store.shared.spool_slots import claim_spool_slot, try_claim, unclaimed_slots


def test_each_worker_claims_the_lowest_free_directory(tmp_path: Path) -> None:
    first, second = claim_spool_slot(tmp_path), claim_spool_slot(tmp_path)
    assert (first.index, second.index) == (0, 1)
    assert first.directory == tmp_path / "0"
    first.release()  # a worker stopped (or died: the kernel drops its lock the same way)
    restarted = claim_spool_slot(tmp_path)
    assert restarted.index == 0
    restarted.release()
    second.release()


def test_a_claimed_directory_cannot_be_claimed_again_even_by_the_same_process(tmp_path: Path) -> None:
    held = claim_spool_slot(tmp_path)
    assert try_claim(tmp_path, held.index) is None
    assert [slot.index for slot in unclaimed_slots(tmp_path)] == []
    held.release()


def visit(minute: int) -> Hit:
    return Hit(
        site_id="A",
        timestamp=datetime(2025, 5, 1, 10, minute),
        kind=HitKind.PAGEVIEW,
        visitor_id=7,
        session_id=60,
        hostname="example.com",
        pathname=f"/{minute}",
        entry=minute == 1,
    )


def segment(directory: Path, number: int, suffix: str = ".seg") -> None:
    (directory / f"{number:020d}-1{suffix}").write_bytes(frame(orjson.dumps(hit_to_row(visit(number)))))


def test_what_a_worker_that_no_longer_runs_left_behind_is_stored_once(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    running, gone = claim_spool_slot(root), claim_spool_slot(root)
    segment(gone.directory, 1)
    segment(gone.directory, 2, ".open")  # it died with this one open
    segment(running.directory, 3)
    gone.release()
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    try:
        assert flush_unclaimed_spools(root, store, including_root=True) == 2
        assert flush_unclaimed_spools(root, store, including_root=True) == 0
        assert store.count_hits("A") == 2
    finally:
        store.close()
    assert list(gone.directory.iterdir()) == []
    assert [path.name for path in running.directory.iterdir()] == [f"{3:020d}-1.seg"]  # its own flusher's
    running.release()


def test_what_a_single_worker_left_in_the_spool_itself_is_stored_once_several_workers_run(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    root.mkdir()
    segment(root, 1, ".open")  # the one worker of the previous run was killed
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    try:
        assert flush_unclaimed_spools(root, store, including_root=False) == 0  # one worker: the spool is its own
        assert flush_unclaimed_spools(root, store, including_root=True) == 1
        assert store.count_hits("A") == 1
    finally:
        store.close()
