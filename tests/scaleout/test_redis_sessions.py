"""Sessions in Redis follow the in-memory tracker's rules exactly, and workers sharing one Redis agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.collect.sessions import SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS, SessionTracker
from leadline.store.shared.connection import SharedStateUnavailableError, open_redis
from leadline.store.shared.redis_sessions import EXPIRY_MARGIN_SECONDS, RedisSessionTracker, session_key
from tests.live_server import free_port

START = 1_764_547_200.0  # 2025-12-01T00:00:00Z


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    with open_redis(redis_url) as opened:
        yield opened


def tracker(client: redis.Redis, now: float = START) -> RedisSessionTracker:
    return RedisSessionTracker(client, SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS, clock=lambda: now)


# A hit: seconds since the previous one (a few go back in time, as hits of two workers can), which of a
# few visitors it comes from, whether it carries yesterday's id for someone else, and pageview or event.
hits = st.lists(
    st.tuples(
        st.one_of(
            st.floats(min_value=0, max_value=3 * SESSION_IDLE_SECONDS, allow_nan=False),
            st.sampled_from([SESSION_IDLE_SECONDS, SESSION_IDLE_SECONDS + 1e-6, SESSION_MAX_SECONDS / 20]),
            st.floats(min_value=-5, max_value=0, allow_nan=False),
        ),
        st.sampled_from(["A", "B"]),
        st.integers(min_value=1, max_value=3),
        st.one_of(st.none(), st.integers(min_value=1, max_value=3)),
        st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=hits)
def test_the_redis_tracker_assigns_what_the_in_memory_tracker_assigns(
    client: redis.Redis, sequence: list[tuple[float, str, int, int | None, bool]]
) -> None:
    client.flushdb()
    in_memory, shared = SessionTracker(), tracker(client)
    now = START
    for step, site, visitor, previous, pageview in sequence:
        now += step
        assert shared.assign(site, visitor, previous, now, pageview) == in_memory.assign(
            site, visitor, previous, now, pageview
        )


def test_a_session_lasts_at_most_a_day_even_with_a_hit_every_minute(client: redis.Redis) -> None:
    shared = tracker(client)
    first = shared.assign("A", 1, None, START)
    last = first
    for minute in range(1, 24 * 60 + 1):
        last = shared.assign("A", 1, None, START + 60 * minute, pageview=False)
    assert first == (1, int(START), True)
    assert last == (1, int(START + SESSION_MAX_SECONDS), False)


def test_yesterdays_visitor_id_continues_its_session_across_midnight(client: redis.Redis) -> None:
    shared = tracker(client)
    shared.assign("A", 111, None, START - 60)
    assert shared.assign("A", 222, 111, START + 60) == (111, int(START - 60), False)
    assert shared.assign("A", 222, 111, START + 60 + SESSION_IDLE_SECONDS + 1) == (222, int(START + 1861), True)


def test_two_workers_on_one_redis_put_a_visitors_hits_in_one_session(client: redis.Redis, redis_url: str) -> None:
    with open_redis(redis_url) as other_client:
        first_worker, second_worker = tracker(client), tracker(other_client)
        assert first_worker.assign("A", 9, None, START) == (9, int(START), True)
        assert second_worker.assign("A", 9, None, START + 10) == (9, int(START), False)
        assert first_worker.assign("A", 9, None, START + 20) == (9, int(START), False)
        # Half an hour of silence, seen by the other worker: a new session, whose first pageview is an entry.
        assert second_worker.assign("A", 9, None, START + 20 + SESSION_IDLE_SECONDS + 1) == (9, int(START) + 1821, True)


def test_keys_expire_by_themselves_once_no_hit_can_continue_their_session(client: redis.Redis) -> None:
    tracker(client).assign("A", 5, None, START)
    ttl = client.pttl(session_key("A", 5)) / 1000
    assert SESSION_IDLE_SECONDS < ttl <= SESSION_IDLE_SECONDS + EXPIRY_MARGIN_SECONDS
    assert tracker(client).prune(START + SESSION_MAX_SECONDS) == 0  # nothing to prune


def test_key_names_hold_only_the_site_and_the_salted_visitor_id(client: redis.Redis) -> None:
    tracker(client).assign("SITEID", 1234567890123, 42, START)
    assert client.keys("*") == [b"leadline:session:{SITEID}:1234567890123"]


def test_restored_sessions_continue_and_a_newer_shared_state_wins(client: redis.Redis) -> None:
    shared = tracker(client, now=START)
    shared.assign("A", 2, None, START - 10)  # another worker already saw visitor 2 after the store's last hit
    restored = [
        ("A", 1, int(START - 100), START - 100, START - 50, True),
        ("A", 2, 777, START - 900, START - 800, True),
    ]
    shared.restore(restored)
    assert shared.assign("A", 1, None, START) == (1, int(START - 100), False)
    assert shared.assign("A", 2, None, START) == (2, int(START - 10), False)


def test_an_unreachable_redis_is_an_os_error_so_the_collector_answers_503() -> None:
    with (
        open_redis(f"redis://127.0.0.1:{free_port()}/0") as nowhere,
        pytest.raises(SharedStateUnavailableError) as raised,
    ):
        tracker(nowhere).assign("A", 1, None, START)
    assert isinstance(raised.value, OSError)
