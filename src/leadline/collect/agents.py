"""What is derived from a user agent (bot or not, device), remembered under a keyed digest of the agent.

Parsing an agent takes about a millisecond and real traffic repeats a few hundred agents, so answers are
memoized; the memo's keys are BLAKE2b digests under a key drawn fresh in each process and never written
anywhere, so no user agent is kept in memory past its request (nor can one be read back from the keys).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# Keyed once: each digest starts from a copy of this state, so the key's block is not hashed again per hit.
_KEYED = hashlib.blake2b(key=secrets.token_bytes(16), digest_size=16)
MEMO_SIZE = 8192


def agent_key(user_agent: str) -> bytes:
    """A stand-in for `user_agent` as a memo key: stable in this process, not reversible without its key."""
    digest = _KEYED.copy()
    digest.update(user_agent.encode("utf-8", "surrogatepass"))
    return digest.digest()


class AgentMemo(Generic[T]):
    """`derive(user_agent)`, computed once per distinct agent and remembered under the agent's key."""

    def __init__(self, derive: Callable[[str], T], size: int = MEMO_SIZE) -> None:
        self._derive = derive
        self._size = size
        self._answers: dict[bytes, T] = {}

    def get(self, key: bytes, user_agent: str) -> T:
        """The answer for `user_agent`, whose `agent_key` is `key` (computed once per hit by the caller)."""
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) >= self._size:
                self._answers.clear()  # a flood of made-up agents must not grow memory without bound
            answer = self._answers[key] = self._derive(user_agent)
        return answer

    def __len__(self) -> int:
        return len(self._answers)
