"""Bulk loading: millions of synthetic hits into the event store, as rows the collector would have written.

Rows are made on the calling thread while the previous batch is inserted on another (DuckDB works outside
the GIL), in large Arrow batches through `insert_batch`, never row by row.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from leadline.traffic.child import request_fields_in_child_process
from leadline.traffic.config import TrafficConfig
from leadline.traffic.generator import generate_visits
from leadline.traffic.request import RequestFields
from leadline.traffic.rows import RowMaker
from leadline.traffic.target import TrafficTarget

BATCH_ROWS = 100_000
PARALLEL_ABOVE_HITS = 300_000  # below this, starting a second process costs more than it saves


@dataclass
class LoadResult:
    requests: int  # synthetic requests read
    stored: int  # rows written
    dropped: dict[str, int]  # requests the collector would drop, by reason
    seconds: float
    rows: list[list[object]] | None = field(default=None, repr=False)  # what was written, if asked for

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load_traffic(
    target: TrafficTarget,
    config: TrafficConfig,
    *,
    parallel: bool | None = None,
    keep_rows: bool = False,
    bind_hostnames: bool = True,
    synthetic_places: bool = False,
    batch_rows: int = BATCH_ROWS,
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Generate `config`'s traffic and store it with load_bulk (salts from `config.seed`).

    With `parallel` (by default for large loads), generation runs in a child process while this one makes
    and stores the rows: the same hits and rows, about twice as fast on two cores.
    """
    if parallel is None:
        days = (config.end_time - config.start_time) / 86400
        parallel = (config.total_hits or config.hits_per_day * days) > PARALLEL_ABOVE_HITS
    requests: Iterable[RequestFields] = request_fields_in_child_process(config) if parallel else generate_visits(config)
    return load_bulk(
        target,
        requests,
        salt_seed=config.seed,
        keep_rows=keep_rows,
        bind_hostnames=bind_hostnames,
        synthetic_places=synthetic_places,
        batch_rows=batch_rows,
        on_progress=on_progress,
    )


def load_bulk(
    target: TrafficTarget,
    requests: Iterable[RequestFields],
    *,
    salt_seed: int | str = 0,
    keep_rows: bool = False,
    bind_hostnames: bool = True,
    synthetic_places: bool = False,
    batch_rows: int = BATCH_ROWS,
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Store `requests` the way the collector would; `on_progress` gets the count of requests read so far.

    `synthetic_places` gives visitors a region and city of their country when no MaxMind file is configured
    (traffic.places): demo data then fills those panels, but no longer stores what the collector would.

    Visitor ids use salts derived from `salt_seed` (see SeededSalts); sessions start from nothing, so load
    a site's traffic in one call, in time order (generate_visits yields it so).
    """
    started = time.perf_counter()
    collecting = gc.isenabled()
    # Millions of live rows would make the cycle collector run over and over, scanning them all each time (a
    # load took 15-30% longer); rows and requests hold no cycles, so reference counting frees them anyway.
    gc.disable()
    maker = RowMaker(target, salt_seed, bind_hostnames=bind_hostnames, synthetic_places=synthetic_places)
    try:
        return _load(target, maker, requests, started, keep_rows, batch_rows, on_progress)
    finally:
        maker.close()
        if collecting:
            gc.enable()


def _load(
    target: TrafficTarget,
    maker: RowMaker,
    requests: Iterable[RequestFields],
    started: float,
    keep_rows: bool,
    batch_rows: int,
    on_progress: Callable[[int], None] | None,
) -> LoadResult:
    run_id = uuid.uuid4().hex[:12]  # batch ids must be new: the store skips a batch id it has seen before
    kept: list[list[object]] | None = [] if keep_rows else None
    stored = 0
    pending: list[Future[bool]] = []  # at most one batch is being inserted while the next one is made

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="traffic-insert") as writer:

        def finish_pending() -> None:
            if pending and not pending.pop().result():
                raise RuntimeError("the event store refused a new batch id")

        def store(rows: list[list[object]]) -> None:
            nonlocal stored
            finish_pending()
            pending.append(writer.submit(target.event_store.insert_batch, f"traffic-{run_id}-{stored}", rows))
            stored += len(rows)
            if kept is not None:
                kept.extend(rows)
            if on_progress is not None:
                on_progress(maker.requests)

        batch: list[list[object]] = []
        for row in maker.rows(requests):
            batch.append(row)
            if len(batch) >= batch_rows:
                store(batch)
                batch = []
        if batch:
            store(batch)
        finish_pending()
    if on_progress is not None:
        on_progress(maker.requests)
    return LoadResult(maker.requests, stored, dict(maker.dropped), time.perf_counter() - started, kept)
