"""Sessions end after 30 idle minutes; a session open at midnight continues under yesterday's visitor id."""

from __future__ import annotations

from leadline.collect.sessions import SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS, SessionTracker


def session_of(tracker: SessionTracker, visitor: int, now: float, previous: int | None = None) -> tuple[int, int]:
    visitor_id, session_id, _ = tracker.assign("S", visitor, previous, now)
    return visitor_id, session_id


def test_hits_within_30_minutes_share_a_session() -> None:
    tracker = SessionTracker()
    _, first = session_of(tracker, 1, 1000.0)
    _, second = session_of(tracker, 1, 1000.0 + SESSION_IDLE_SECONDS)
    _, third = session_of(tracker, 1, 1000.0 + 2 * SESSION_IDLE_SECONDS + 1)
    assert first == second != third


def test_a_session_is_named_by_its_visitor_and_its_start_second() -> None:
    tracker = SessionTracker()
    assert tracker.assign("S", 7, None, now=1000.9) == (7, 1000, True)
    assert tracker.assign("S", 7, None, now=1500.0) == (7, 1000, False)
    assert tracker.assign("S", 8, None, now=1500.0) == (8, 1500, True)
    assert tracker.assign("T", 7, None, now=1600.0) == (7, 1600, True)


def test_the_first_pageview_of_a_session_is_its_entry_even_after_an_event() -> None:
    tracker = SessionTracker()
    assert tracker.assign("S", 1, None, now=10.0, pageview=False) == (1, 10, False)
    assert tracker.assign("S", 1, None, now=20.0, pageview=True) == (1, 10, True)
    assert tracker.assign("S", 1, None, now=30.0, pageview=True) == (1, 10, False)


def test_a_session_crossing_midnight_keeps_yesterdays_visitor_id() -> None:
    tracker = SessionTracker()
    before_midnight = session_of(tracker, 111, 86400.0 - 60)
    after_midnight = session_of(tracker, 222, 86400.0 + 60, previous=111)
    assert after_midnight == before_midnight


def test_after_the_session_ends_the_new_days_id_is_used() -> None:
    tracker = SessionTracker()
    _, old_session = session_of(tracker, 111, 86400.0 - 60)
    visitor, session = session_of(tracker, 222, 86400.0 + SESSION_IDLE_SECONDS + 60, previous=111)
    assert visitor == 222 and session != old_session


def test_ended_sessions_are_pruned() -> None:
    tracker = SessionTracker()
    session_of(tracker, 1, 0.0)
    session_of(tracker, 2, SESSION_IDLE_SECONDS)
    assert tracker.prune(now=SESSION_IDLE_SECONDS + 1) == 1
    assert len(tracker) == 1


def test_restored_sessions_continue_without_a_second_entry() -> None:
    tracker = SessionTracker()
    tracker.restore([("S", 5, 42, 50.0, 100.0, True)])
    assert tracker.assign("S", 5, None, now=200.0) == (5, 42, False)


def test_a_session_ends_after_24_hours_even_if_busy() -> None:
    tracker = SessionTracker()
    _, first = session_of(tracker, 1, 0.0)
    now = 0.0
    while now < SESSION_MAX_SECONDS - 600:
        now += 600
        assert session_of(tracker, 1, now)[1] == first
    assert session_of(tracker, 1, SESSION_MAX_SECONDS)[1] != first
