"""The spool: acknowledged appends survive a kill, segments close and replay, torn tails are cut off."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from leadline.collect.flusher import Flusher
from leadline.collect.spool import (
    SEGMENT_BYTES,
    Spool,
    frame,
    oldest_spooled,
    read_records,
)
from leadline.store.events import Hit, HitKind, open_event_store
from leadline.store.events.base import hit_to_row, row_to_hit
from leadline.store.events.spooled_rows import decode_row, encode_row


def make_hit(number: int) -> Hit:
    return Hit(
        site_id="SITE",
        timestamp=datetime(2026, 1, 1, 12, 0, 0, 123456),
        kind=HitKind.EVENT,
        visitor_id=2**64 - 1 - number,
        session_id=number,
        hostname="shop.example",
        pathname=f"/p/{number}",
        event_id="EVT",
        value=number,
        browser="Firefox",
    )


def test_hits_survive_encoding_exactly() -> None:
    hit = make_hit(7)
    assert row_to_hit(decode_row(encode_row(hit_to_row(hit)))) == hit


def test_appended_records_are_in_closed_segments_after_close(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, max_records=3, max_age=30)
        spool.start()
        for n in range(7):
            assert spool.append(f"record {n}".encode()) is None  # in the file: acknowledged at once
        await spool.close()
        records = [record for segment in spool.closed_segments() for record in read_records(segment)]
        assert sorted(records) == sorted(f"record {n}".encode() for n in range(7))

    asyncio.run(scenario())


def test_with_fsync_before_ack_an_append_waits_for_its_fsync(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, fsync_before_ack=True)
        spool.start()
        waits = [spool.append(b"a"), spool.append(b"b")]
        assert all(wait is not None for wait in waits)
        await asyncio.gather(*(wait for wait in waits if wait is not None))
        await spool.close()
        assert [list(read_records(segment)) for segment in spool.closed_segments()] == [[b"a", b"b"]]

    asyncio.run(scenario())


def test_segments_are_retired_by_age_and_size(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, max_records=2, max_age=0.05)
        spool.start()
        for record in (b"1", b"2", b"3"):
            spool.append(record)
        await asyncio.sleep(0.3)  # the age limit passes; the sync loop retires the open segment
        assert [list(read_records(segment)) for segment in spool.closed_segments()] == [[b"1", b"2"], [b"3"]]
        await spool.close()

    asyncio.run(scenario())


def test_a_torn_tail_is_cut_off(tmp_path: Path) -> None:
    segment = tmp_path / "00000000000000000001-1.seg"
    whole = frame(b"first") + frame(b"second")
    segment.write_bytes(whole + frame(b"third")[:-2])
    assert list(read_records(segment)) == [b"first", b"second"]
    segment.write_bytes(whole + b"\x05\x00\x00\x00garbage")
    assert list(read_records(segment)) == [b"first", b"second"]


def test_segments_left_open_by_a_crash_are_recovered(tmp_path: Path) -> None:
    (tmp_path / "00000000000000000001-1.open").write_bytes(frame(b"acknowledged"))
    spool = Spool(tmp_path)
    spool.recover()
    assert [list(read_records(segment)) for segment in spool.closed_segments()] == [[b"acknowledged"]]


APPEND_THEN_DIE = """
import asyncio, os, signal, sys
from pathlib import Path
from leadline.collect.spool import Spool

async def main() -> None:
    spool = Spool(Path(sys.argv[1]), max_age=30)
    spool.start()
    for n in range(1000):
        assert spool.append(f"hit {n}".encode()) is None  # acknowledged
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no fsync, no unmapping: only what the kernel holds

asyncio.run(main())
"""


def test_what_was_acknowledged_survives_the_process_being_killed(tmp_path: Path) -> None:
    # The records were copied into a mapped file, never written with write(2): the page cache keeps them.
    died = subprocess.run([sys.executable, "-c", APPEND_THEN_DIE, str(tmp_path)], check=False)
    assert died.returncode == -signal.SIGKILL
    (left_open,) = tmp_path.glob("*.open")
    assert left_open.stat().st_size == SEGMENT_BYTES  # the space it reserved, mostly unwritten

    spool = Spool(tmp_path)
    spool.recover()
    (segment,) = spool.closed_segments()
    assert list(read_records(segment)) == [f"hit {n}".encode() for n in range(1000)]
    assert segment.stat().st_size == sum(len(frame(f"hit {n}".encode())) for n in range(1000))  # the rest given back


def test_a_segment_whose_space_is_used_up_is_retired_and_the_next_record_starts_another(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, max_age=30, segment_bytes=64)
        spool.start()
        records = [bytes([ord("a") + n]) * 20 for n in range(5)]  # 28 bytes framed: two fit in 64
        for record in records:
            spool.append(record)
        await spool.close()
        segments = spool.closed_segments()
        assert [list(read_records(segment)) for segment in segments] == [records[0:2], records[2:4], records[4:]]
        assert [segment.stat().st_size for segment in segments] == [56, 56, 28]

    asyncio.run(scenario())


def test_a_record_larger_than_a_segment_gets_a_segment_of_its_size(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, max_age=30, segment_bytes=64)
        spool.start()
        spool.append(b"small")
        spool.append(b"x" * 1000)
        await spool.close()
        assert [list(read_records(segment)) for segment in spool.closed_segments()] == [[b"small"], [b"x" * 1000]]

    asyncio.run(scenario())


def test_the_backlog_counts_the_records_of_segments_not_the_space_they_reserved(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, max_records=2, max_age=30)
        spool.start()
        spool.append(b"one")
        assert spool.backlog().size_bytes == spool.size_bytes == len(frame(b"one"))  # one open segment
        spool.append(b"two")  # the segment is full: retired, cut to its records at the next fsync
        spool.append(b"three")  # in a new open segment; no fsync has run meanwhile (nothing awaited)
        backlog = spool.backlog()
        assert backlog.segments == 2
        assert backlog.size_bytes == spool.size_bytes == sum(len(frame(r)) for r in (b"one", b"two", b"three"))
        await spool.close()
        assert spool.backlog().size_bytes == spool.size_bytes

    asyncio.run(scenario())


def test_the_oldest_spooled_hit_is_no_older_than_the_oldest_segment_of_any_workers_spool(tmp_path: Path) -> None:
    assert oldest_spooled(tmp_path) is None
    (tmp_path / "2").mkdir()
    (tmp_path / "2" / f"{1_780_000_000 * 10**9:020d}-7.seg").write_bytes(frame(b"old"))
    (tmp_path / f"{1_790_000_000 * 10**9:020d}-8.open").write_bytes(frame(b"new"))
    (tmp_path / "notes.txt").write_text("not a segment")
    assert oldest_spooled(tmp_path) == 1_780_000_000


def test_flushing_a_segment_twice_stores_it_once(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    segment = spool_dir / "00000000000000000001-1.seg"
    segment.write_bytes(b"".join(frame(encode_row(hit_to_row(make_hit(n)))) for n in range(5)))
    copy = segment.read_bytes()
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    flusher = Flusher(Spool(spool_dir), store)
    assert flusher.flush_ready() == 5
    segment.write_bytes(copy)  # as if the process died after storing but before deleting the segment
    assert flusher.flush_ready() == 0
    assert store.count_hits("SITE") == 5
    assert not segment.exists()
    store.close()


def test_records_and_rows_are_kept_in_memory_as_the_file_holds_them_until_stored(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path, max_records=3, max_age=30)
        spool.start()
        rows = [tuple(hit_to_row(make_hit(n))) for n in range(5)]
        for row in rows[:4]:
            assert spool.append_row(row) is None
        assert spool.append(encode_row(rows[4])) is None  # a record as bytes: its segment's rows are not kept
        await spool.close()
        segments = spool.closed_segments()
        assert len(segments) == 2
        kept = [spool.kept(segment) for segment in segments]
        assert [batch.records if batch else None for batch in kept] == [list(read_records(s)) for s in segments]
        assert [batch.kept_rows if batch else None for batch in kept] == [rows[:3], None]
        assert [tuple(row) for batch in kept if batch for row in batch.rows()] == rows  # kept, or decoded
        spool.remove(segments[0])
        assert spool.kept(segments[0]) is None

    asyncio.run(scenario())


def test_segments_past_the_kept_records_limit_are_flushed_from_their_files(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool", max_records=2, max_age=30, kept_records_limit=4)
        spool.start()
        for n in range(8):
            spool.append_row(tuple(hit_to_row(make_hit(n))))
        await spool.close()
        segments = spool.closed_segments()
        assert [spool.kept(segment) is not None for segment in segments] == [True, True, False, False]
        store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
        assert Flusher(spool, store).flush_ready() == 8
        assert store.count_hits("SITE") == 8
        assert spool.closed_segments() == []
        store.close()

    asyncio.run(scenario())
