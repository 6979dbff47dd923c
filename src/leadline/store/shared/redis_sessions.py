"""Sessions in Redis: the same rules as the collector's in-memory tracker, shared by every worker.

Each (site, visitor) is one small hash (session id, first hit, last hit, seen a pageview) that one Lua script
reads and updates atomically, so two workers receiving the same visitor's hits at once still agree on one
session. The collector never waits on Redis on its event loop: hits that arrive while a round trip is away
are assigned together by the next one (one script call for the batch, hits in arrival order), on a thread.
Keys expire by themselves a margin after their session can no longer be continued, so nothing needs pruning.
Times travel as Python's shortest round-trip text of the float and are stored verbatim, so Lua's doubles
compare exactly what the in-memory tracker compares.

Key names hold the site id and the visitor id, which is already a salted hash (nothing personal); the site id
in braces keeps today's and yesterday's key of a visitor on one cluster slot. (A batch's script touches
several sites' keys: it needs one Redis, as `open_redis` makes, not a Redis Cluster.)
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import NamedTuple

import redis

from leadline.store.shared.batched_calls import BatchedCalls
from leadline.store.shared.connection import SharedStateUnavailableError

KEY_PREFIX = "leadline:session"
# Keys outlive their session by this much: the script alone decides whether a session is open, the expiry only
# clears what no hit can continue; the margin covers clocks of workers and Redis that disagree a little.
EXPIRY_MARGIN_SECONDS = 300
RESTORE_BATCH = 1000
# Hits per script call at most: a few microseconds of Redis's time each, so one call never holds it long.
MAX_BATCH = 256

# ARGV[1..3]: idle seconds, longest session, expiry margin; then three per hit: now, the id a new session
# gets, 1 for a pageview. KEYS: two per hit, the visitor's session key under today's id, then under
# yesterday's (the same key when there is none). Hits are assigned in order, each as if alone.
# Returns three per hit: 1 when yesterday's session continues (else 0), the session id, 1 when the hit is
# the entry.
_ASSIGN = """
local idle, longest, margin = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function open(session, now)
  if not session[1] then return false end
  return now - tonumber(session[3]) <= idle and now - tonumber(session[2]) < longest
end
local answers = {}
for hit = 1, #KEYS / 2 do
  local at = ARGV[3 * hit + 1]
  local now = tonumber(at)
  local key, continued = KEYS[2 * hit - 1], 0
  if KEYS[2 * hit] ~= key and open(redis.call('HMGET', KEYS[2 * hit], 's', 'f', 'l', 'e'), now) then
    key, continued = KEYS[2 * hit], 1
  end
  local session = redis.call('HMGET', key, 's', 'f', 'l', 'e')
  local id, first, last, entered
  if open(session, now) then
    id, first, last, entered = session[1], session[2], session[3], session[4] == '1'
    if now > tonumber(last) then last = at end
  else
    id, first, last, entered = ARGV[3 * hit + 2], at, at, false
  end
  local pageview = ARGV[3 * hit + 3] == '1'
  redis.call('HSET', key, 's', id, 'f', first, 'l', last, 'e', (entered or pageview) and '1' or '0')
  local ends = math.min(tonumber(last) + idle, tonumber(first) + longest)
  redis.call('PEXPIRE', key, math.ceil((ends - now + margin) * 1000))
  local entry = 0
  if pageview and not entered then entry = 1 end
  answers[3 * hit - 2], answers[3 * hit - 1], answers[3 * hit] = continued, id, entry
end
return answers
"""

# KEYS: the session's key. ARGV: session id, first hit, last hit, 1 if entered, now, idle, longest, margin.
# A state already there with a later (or the same) last hit is newer than the event store's: it is kept.
_RESTORE = """
local held = redis.call('HGET', KEYS[1], 'l')
if held and tonumber(held) >= tonumber(ARGV[3]) then return 0 end
local now, idle, longest, margin = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
redis.call('HSET', KEYS[1], 's', ARGV[1], 'f', ARGV[2], 'l', ARGV[3], 'e', ARGV[4])
local ends = math.min(tonumber(ARGV[3]) + idle, tonumber(ARGV[2]) + longest)
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(ends - now, 0) + margin) * 1000))
return 1
"""


def session_key(site_id: str, visitor_id: int) -> str:
    return f"{KEY_PREFIX}:{{{site_id}}}:{visitor_id}"


class SessionHit(NamedTuple):
    """A hit to assign: its site, visitor ids under today's and yesterday's salt, time, and kind."""

    site_id: str
    visitor_id: int
    previous_visitor_id: int | None
    now: float
    pageview: bool = True


# (visitor id, session id, entry): the visitor id is yesterday's when the hit continues yesterday's session.
Assignment = tuple[int, int, bool]


class RedisSessionTracker:
    """(site, visitor) -> session in Redis; the in-memory `SessionTracker`'s behaviour, across processes."""

    def __init__(
        self,
        client: redis.Redis,
        idle_seconds: float,
        max_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._limits = (repr(float(idle_seconds)), repr(float(max_seconds)), str(EXPIRY_MARGIN_SECONDS))
        self._clock = clock  # for restored sessions' expiry only: hits carry their own time
        self._assign = client.register_script(_ASSIGN)
        self._restore = client.register_script(_RESTORE)
        self._batches = BatchedCalls(self.assign_batch, MAX_BATCH, name="leadline-sessions")

    def assign(
        self, site_id: str, visitor_id: int, previous_visitor_id: int | None, now: float, pageview: bool = True
    ) -> Awaitable[Assignment]:
        """(visitor id, session id, entry) of a hit at `now`, once Redis answered; entry marks the session's
        first pageview. A session open under yesterday's visitor id continues under it.

        Call it on the event loop: the hit joins the next batch, and the loop goes on meanwhile.
        """
        return self._batches.call(SessionHit(site_id, visitor_id, previous_visitor_id, now, pageview))

    def assign_batch(self, hits: Sequence[SessionHit]) -> list[Assignment]:
        """`assign` for several hits, in their order, in one round trip (it blocks: not on the event loop)."""
        keys: list[str] = []
        arguments: list[str] = [*self._limits]
        for site_id, visitor_id, previous_visitor_id, now, pageview in hits:
            previous = visitor_id if previous_visitor_id is None else previous_visitor_id
            keys += [session_key(site_id, visitor_id), session_key(site_id, previous)]
            arguments += [repr(float(now)), str(int(now)), "1" if pageview else "0"]
        try:
            answers = self._assign(keys=keys, args=arguments)
        except redis.RedisError as error:
            raise SharedStateUnavailableError(f"session store: {error}") from error
        assigned: list[Assignment] = []
        for index, (_, visitor_id, previous_visitor_id, _, _) in enumerate(hits):
            continued, session_id, entry = answers[3 * index : 3 * index + 3]
            visitor = previous_visitor_id if continued and previous_visitor_id is not None else visitor_id
            assigned.append((visitor, int(session_id), bool(entry)))
        return assigned

    def restore(self, sessions: Iterable[tuple[str, int, int, float, float, bool]]) -> None:
        """Resume sessions open when the server stopped; a state another worker already holds that is newer wins."""
        now = repr(float(self._clock()))
        try:
            with self._client.pipeline(transaction=False) as pipeline:
                for count, (site_id, visitor_id, session_id, first_seen, last_seen, entered) in enumerate(sessions, 1):
                    key = session_key(site_id, visitor_id)
                    state = [str(session_id), repr(float(first_seen)), repr(float(last_seen)), "1" if entered else "0"]
                    self._restore(keys=[key], args=[*state, now, *self._limits], client=pipeline)
                    if count % RESTORE_BATCH == 0:
                        pipeline.execute()
                pipeline.execute()
        except redis.RedisError as error:
            raise SharedStateUnavailableError(f"session store: {error}") from error

    def prune(self, now: float) -> int:
        """Nothing to do: keys expire by themselves."""
        return 0

    def close(self) -> None:
        """Wait for the batch under way, if any; the client is its owner's to close."""
        self._batches.close()
