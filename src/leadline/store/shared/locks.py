"""A lease in Redis that one process of a deployment holds at a time: who runs the deployment-wide jobs.

`SET key token NX PX ttl` takes a free lease; the holder renews it well before it expires and deletes it on
stop, both only while the key still holds its own token (a Lua compare-and-act), so a holder that stalled
past the expiry can neither extend nor free a lease another process has since taken. A holder that dies
without releasing passes the lease on after at most `ttl_seconds`.
"""

from __future__ import annotations

import logging
import secrets
import threading

import redis

logger = logging.getLogger("leadline.shared")

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    """One named lease; `refresh()` takes or keeps it, `held` says whether this process has it now."""

    def __init__(self, client: redis.Redis, name: str, ttl_seconds: float) -> None:
        self._client = client
        self.key = f"leadline:lease:{name}"
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._token = secrets.token_hex(16)  # this holder's own: only it renews or frees the lease
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._held = False
        self._lock = threading.Lock()  # refresh runs in a job thread, release at shutdown

    @property
    def held(self) -> bool:
        return self._held

    def refresh(self) -> bool:
        """Renew the lease if held, else take it if free; whether this process holds it now.

        Call it at least every third of `ttl_seconds`. When Redis does not answer, the lease is given up here
        at once: it may lapse, and another holder may take it, before Redis answers again.
        """
        with self._lock:
            was_held = self._held
            try:
                if self._held and self._renew(keys=[self.key], args=[self._token, self._ttl_ms]):
                    self._held = True
                else:
                    self._held = bool(self._client.set(self.key, self._token, nx=True, px=self._ttl_ms))
            except redis.RedisError as error:
                self._held = False
                logger.warning("lease %s: Redis did not answer (%s)", self.key, error)
            if self._held != was_held:
                logger.info("lease %s %s", self.key, "taken" if self._held else "lost")
            return self._held

    def release(self) -> None:
        """Free the lease if this process holds it, so that another takes it at its next refresh."""
        with self._lock:
            if not self._held:
                return
            self._held = False
            try:
                self._release(keys=[self.key], args=[self._token])
            except redis.RedisError as error:  # it expires by itself within ttl_seconds
                logger.warning("lease %s: not released (%s)", self.key, error)
