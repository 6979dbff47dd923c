"""Generating traffic in a child process, so that generation and row making run on two cores at once.

The child runs child_entry.py. A plain subprocess rather than multiprocessing, whose spawn mode re-imports the
caller's main module (and fails in scripts without a `__main__` guard).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator

from leadline.traffic.config import TrafficConfig
from leadline.traffic.request import RequestFields, SyntheticRequest

_PIPE_BUFFER = 1 << 20


def generate_in_child_process(config: TrafficConfig) -> Iterator[SyntheticRequest]:
    """Exactly generate_visits(config), produced by a child process (about half a second to start)."""
    return map(SyntheticRequest._make, request_fields_in_child_process(config))


def request_fields_in_child_process(config: TrafficConfig) -> Iterator[RequestFields]:
    """generate_visits(config) as plain tuples, which cost the receiving process a third of named ones."""
    child = subprocess.Popen(
        [sys.executable, "-m", "leadline.traffic.child_entry"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=_PIPE_BUFFER,
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    try:
        pickle.dump(config, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        child.stdin.close()
        while True:
            try:
                chunk: list[RequestFields] | None = pickle.load(child.stdout)  # noqa: S301 - our own child
            except EOFError:
                child.wait()
                raise RuntimeError(
                    f"generating traffic failed in the child process:\n{child.stderr.read().decode(errors='replace')}"
                ) from None
            if chunk is None:
                break
            yield from chunk
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.terminate()  # the consumer stopped early; the child may be blocked writing
        child.wait()
        child.stderr.close()
