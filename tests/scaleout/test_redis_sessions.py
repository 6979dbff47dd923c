"""Sessions in Redis follow the in-memory tracker's rules exactly, and workers sharing one Redis agree."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.collect.sessions import SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS, SessionTracker
from leadline.store.shared.batched_calls import CallsClosedError
from leadline.store.shared.connection import SharedStateUnavailableError, open_redis
from leadline.store.shared.redis_sessions import (
    EXPIRY_MARGIN_SECONDS,
    Assignment,
    RedisSessionTracker,
    SessionHit,
    session_key,
)
from tests.live_server import free_port

START = 1_764_547_200.0  # 2025-12-01T00:00:00Z


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    with open_redis(redis_url) as opened:
        yield opened


def tracker(client: redis.Redis, now: float = START) -> RedisSessionTracker:
    return RedisSessionTracker(client, SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS, clock=lambda: now)


class OneAtATime:
    """A tracker's hits sent one per round trip, as a quiet server sends them."""

    def __init__(self, shared: RedisSessionTracker) -> None:
        self.shared = shared

    def assign(
        self, site_id: str, visitor_id: int, previous_visitor_id: int | None, now: float, pageview: bool = True
    ) -> Assignment:
        return self.shared.assign_batch([SessionHit(site_id, visitor_id, previous_visitor_id, now, pageview)])[0]


def script_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(name, {}).get("calls", 0)) for name in ("cmdstat_evalsha", "cmdstat_eval"))


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
@given(sequence=hits, batch_sizes=st.lists(st.integers(min_value=1, max_value=8), min_size=1))
def test_the_redis_tracker_assigns_what_the_in_memory_tracker_assigns_in_batches_of_any_size(
    client: redis.Redis, sequence: list[tuple[float, str, int, int | None, bool]], batch_sizes: list[int]
) -> None:
    client.flushdb()
    in_memory, shared = SessionTracker(), tracker(client)
    now, timed = START, []
    for step, site, visitor, previous, pageview in sequence:
        now += step
        timed.append(SessionHit(site, visitor, previous, now, pageview))
    expected = [in_memory.assign(*hit) for hit in timed]
    assigned: list[Assignment] = []
    while len(assigned) < len(timed):
        size = batch_sizes[len(assigned) % len(batch_sizes)]
        assigned += shared.assign_batch(timed[len(assigned) : len(assigned) + size])
    assert assigned == expected


def test_hits_arriving_together_on_the_event_loop_share_round_trips_and_keep_their_order(client: redis.Redis) -> None:
    shared, in_memory = tracker(client), SessionTracker()
    timed = [SessionHit("A", second % 7, None, START + second, second % 3 != 0) for second in range(200)]

    async def arrive_together() -> list[Assignment]:
        return list(await asyncio.gather(*(shared.assign(*hit) for hit in timed)))

    calls_before = script_calls(client)
    assert asyncio.run(arrive_together()) == [in_memory.assign(*hit) for hit in timed]
    assert script_calls(client) - calls_before <= 2  # one batch for the first hit's turn of the loop, at most
    shared.close()


def test_a_hit_alone_is_answered_without_waiting_for_company(client: redis.Redis) -> None:
    shared = tracker(client)

    async def one_hit() -> Assignment:
        return await asyncio.wait_for(shared.assign("A", 1, None, START), timeout=2)

    assert asyncio.run(one_hit()) == (1, int(START), True)
    assert asyncio.run(one_hit()) == (1, int(START), False)  # a new event loop: the tracker still answers
    shared.close()


def test_a_session_lasts_at_most_a_day_even_with_a_hit_every_minute(client: redis.Redis) -> None:
    shared = OneAtATime(tracker(client))
    first = shared.assign("A", 1, None, START)
    last = first
    for minute in range(1, 24 * 60 + 1):
        last = shared.assign("A", 1, None, START + 60 * minute, pageview=False)
    assert first == (1, int(START), True)
    assert last == (1, int(START + SESSION_MAX_SECONDS), False)


def test_yesterdays_visitor_id_continues_its_session_across_midnight(client: redis.Redis) -> None:
    shared = OneAtATime(tracker(client))
    shared.assign("A", 111, None, START - 60)
    assert shared.assign("A", 222, 111, START + 60) == (111, int(START - 60), False)
    assert shared.assign("A", 222, 111, START + 60 + SESSION_IDLE_SECONDS + 1) == (222, int(START + 1861), True)


def test_two_workers_on_one_redis_put_a_visitors_hits_in_one_session(client: redis.Redis, redis_url: str) -> None:
    with open_redis(redis_url) as other_client:
        first_worker, second_worker = OneAtATime(tracker(client)), OneAtATime(tracker(other_client))
        assert first_worker.assign("A", 9, None, START) == (9, int(START), True)
        assert second_worker.assign("A", 9, None, START + 10) == (9, int(START), False)
        assert first_worker.assign("A", 9, None, START + 20) == (9, int(START), False)
        # Half an hour of silence, seen by the other worker: a new session, whose first pageview is an entry.
        assert second_worker.assign("A", 9, None, START + 20 + SESSION_IDLE_SECONDS + 1) == (9, int(START) + 1821, True)


def test_keys_expire_by_themselves_once_no_hit_can_continue_their_session(client: redis.Redis) -> None:
    OneAtATime(tracker(client)).assign("A", 5, None, START)
    ttl = client.pttl(session_key("A", 5)) / 1000
    assert SESSION_IDLE_SECONDS < ttl <= SESSION_IDLE_SECONDS + EXPIRY_MARGIN_SECONDS
    assert tracker(client).prune(START + SESSION_MAX_SECONDS) == 0  # nothing to prune


def test_key_names_hold_only_the_site_and_the_salted_visitor_id(client: redis.Redis) -> None:
    OneAtATime(tracker(client)).assign("SITEID", 1234567890123, 42, START)
    assert client.keys("*") == [b"leadline:session:{SITEID}:1234567890123"]


def test_restored_sessions_continue_and_a_newer_shared_state_wins(client: redis.Redis) -> None:
    shared = OneAtATime(tracker(client, now=START))
    shared.assign("A", 2, None, START - 10)  # another worker already saw visitor 2 after the store's last hit
    restored = [
        ("A", 1, int(START - 100), START - 100, START - 50, True),
        ("A", 2, 777, START - 900, START - 800, True),
    ]
    shared.shared.restore(restored)
    assert shared.assign("A", 1, None, START) == (1, int(START - 100), False)
    assert shared.assign("A", 2, None, START) == (2, int(START - 10), False)


def test_an_unreachable_redis_is_an_os_error_so_the_collector_answers_503() -> None:
    with (
        open_redis(f"redis://127.0.0.1:{free_port()}/0") as nowhere,
        pytest.raises(SharedStateUnavailableError) as raised,
    ):
        OneAtATime(tracker(nowhere)).assign("A", 1, None, START)
    assert isinstance(raised.value, OSError)


def test_every_hit_waiting_on_an_unreachable_redis_gets_the_os_error() -> None:
    with open_redis(f"redis://127.0.0.1:{free_port()}/0") as nowhere:
        shared = tracker(nowhere)

        async def arrive_together() -> list[Assignment | BaseException]:
            pending = (shared.assign("A", visitor, None, START) for visitor in range(5))
            return list(await asyncio.gather(*pending, return_exceptions=True))

        answers = asyncio.run(arrive_together())
        shared.close()
    assert all(isinstance(answer, SharedStateUnavailableError) for answer in answers)


def test_a_closed_tracker_refuses_hits_with_an_os_error_instead_of_leaving_them_waiting(client: redis.Redis) -> None:
    shared = tracker(client)
    shared.close()

    async def one_hit() -> Assignment:
        return await asyncio.wait_for(shared.assign("A", 1, None, START), timeout=2)

    with pytest.raises(CallsClosedError) as raised:
        asyncio.run(one_hit())
    assert isinstance(raised.value, OSError)
