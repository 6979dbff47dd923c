"""The child process's program: read a pickled TrafficConfig on stdin, write its requests on stdout.

Requests go as pickled lists of plain tuples (see RequestFields), then None. Run by child.py; nothing
imports this module, so `python -m` runs it once.
"""

from __future__ import annotations

import gc
import pickle
import sys

from leadline.traffic.config import TrafficConfig
from leadline.traffic.generator import generate_visits
from leadline.traffic.request import RequestFields

CHUNK = 20_000  # requests per message: large enough that pickling costs little per request


def main() -> None:
    gc.disable()  # nothing generated holds a reference cycle; the collector would only slow generation down
    config: TrafficConfig = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our own parent
    out = sys.stdout.buffer
    chunk: list[RequestFields] = []
    for request in generate_visits(config):
        chunk.append(tuple(request))  # type: ignore[arg-type]  # a NamedTuple's fields, as a plain tuple
        if len(chunk) >= CHUNK:
            pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
            chunk = []
    pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.dump(None, out)
    out.flush()


if __name__ == "__main__":
    main()
