"""Which UTC days compaction may treat as closed: none of their hits can still arrive."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from leadline.collect.spool import frame
from leadline.jobs import closed_before


def spool_segment(directory: Path, created: datetime) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{int(created.timestamp()) * 10**9:020d}-1.seg").write_bytes(frame(b"a hit"))


def test_days_before_today_are_closed_once_an_hour_has_passed_since_midnight(tmp_path: Path) -> None:
    assert closed_before(tmp_path, datetime(2026, 12, 2, 0, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert closed_before(tmp_path, datetime(2026, 12, 2, 1, 30, tzinfo=UTC)) == date(2026, 12, 2)


def test_a_day_whose_hits_wait_in_any_workers_spool_is_not_closed(tmp_path: Path) -> None:
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    spool_segment(tmp_path, datetime(2026, 12, 2, 11, 59, tzinfo=UTC))  # the open segment of a running worker
    assert closed_before(tmp_path, now) == date(2026, 12, 2)
    spool_segment(tmp_path / "3", datetime(2026, 11, 28, 23, 50, tzinfo=UTC))  # left by a worker that stopped
    assert closed_before(tmp_path, now) == date(2026, 11, 28)


def test_a_segment_opened_just_after_midnight_keeps_the_day_before_open(tmp_path: Path) -> None:
    # Its first hit may have been stamped a moment before the segment was opened for it.
    spool_segment(tmp_path, datetime(2026, 11, 30, 0, 0, 5, tzinfo=UTC))
    assert closed_before(tmp_path, datetime(2026, 12, 2, 12, tzinfo=UTC)) == date(2026, 11, 29)
