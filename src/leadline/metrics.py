"""Prometheus metrics of the deployment; no label ever holds personal data.

Every metric is declared here, once. Each app has its own `CollectorRegistry` (several apps in one test
process never collide); the parts that own a figure keep it (the pipeline its counts, the rate limiter its
rejections, the spool its files) and the registry reads them when scraped, so the hot path pays nothing for
a metric nobody asks for. Labels take only values from fixed sets: route templates (never a raw path),
known HTTP methods, status codes, drop reasons, rate-limit names, job names. No site, key, address or agent.

One worker process, one registry: several workers would need prometheus-client's multiprocess mode.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadline.http_errors import error_response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
UNMATCHED_ROUTE = "unmatched"  # every path no route matched: one label value, however many paths are probed

# A `_created` series beside every counter and histogram adds a series per label set to tell a start time;
# Prometheus sees a restart from the counters' reset and `process_start_time_seconds` without it.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated

# Process-wide, unlike the rest: a report runs deep below the app (ApiCall knows no app), and one process
# serves one app outside tests. Every app's registry includes it.
REPORT_DURATIONS = Histogram(
    "leadline_report_duration_seconds",
    "Run time of /v1/aggregations reports (plan, compile, execute, shape).",
    buckets=LATENCY_BUCKETS,
    registry=None,
)


def report_timer() -> AbstractContextManager[object]:
    """Times the report run inside the `with` block into leadline_report_duration_seconds."""
    return REPORT_DURATIONS.time()


def flush_durations() -> Histogram:
    """The flusher's own histogram of flush runs (registered by the app that serves it)."""
    return Histogram(
        "leadline_spool_flush_duration_seconds",
        "Time to move every closed spool segment into the event store, per flush run.",
        buckets=LATENCY_BUCKETS,
        registry=None,
    )


def flush_failures() -> Counter:
    """The flusher's count of failed attempts to store a segment (registered by the app that serves it)."""
    return Counter(
        "leadline_spool_flush_failures",
        "Attempts to store a spool segment that the event store refused; each is retried with backoff.",
        registry=None,
    )


class HttpMetrics:
    """Requests by method, route template and status, and their latency; fed by the access-log middleware."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "leadline_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.durations = Histogram(
            "leadline_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # labels() takes a lock and builds a tuple each time; a request's children are found by one dict lookup.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        """One answered request; `route` is its template, None when no route matched."""
        key = (method if method in KNOWN_METHODS else OTHER_METHOD, route or UNMATCHED_ROUTE, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(key[0], key[1], str(status)), self.durations.labels(key[0], key[1]))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class JobMetrics:
    """Background job runs by job name and outcome, and their run time; the scheduler feeds it."""

    def __init__(self) -> None:
        self.runs = Counter(
            "leadline_job_runs",
            "Background job runs (spool flush, salt rotation, session pruning, publishing) by outcome.",
            ["job", "outcome"],
            registry=None,
        )
        self.durations = Histogram(
            "leadline_job_duration_seconds",
            "Run time of background jobs, by job.",
            ["job"],
            buckets=LATENCY_BUCKETS,
            registry=None,
        )

    def collectors(self) -> tuple[Collector, ...]:
        return (self.runs, self.durations)


class HitCounts(Protocol):
    """What the collector's pipeline counts: hits accepted, and hits dropped by reason."""

    @property
    def accepted(self) -> int: ...

    @property
    def dropped(self) -> Mapping[str, int]: ...


class SpoolBacklog(Protocol):
    """The spool's files not yet in the event store."""

    @property
    def segments(self) -> int: ...

    @property
    def size_bytes(self) -> int: ...

    @property
    def oldest_age_seconds(self) -> float: ...


class LiveFigures(Collector):
    """Figures read from the running parts at scrape time: hit counts, spool backlog, rate-limit rejections."""

    def __init__(
        self,
        hits: Callable[[], HitCounts],
        drop_reasons: Iterable[str],
        spool_backlog: Callable[[], SpoolBacklog],
        rate_limit_rejections: Callable[[], Mapping[str, int]],
        event_store_memory: Callable[[], int | None] = lambda: None,
    ) -> None:
        self._hits = hits
        self._event_store_memory = event_store_memory
        self._drop_reasons = tuple(drop_reasons)
        self._spool_backlog = spool_backlog
        self._rejections = rate_limit_rejections

    def collect(self) -> Iterator[Metric]:
        hits = self._hits()
        accepted = CounterMetricFamily("leadline_hits_accepted", "Collector hits accepted and spooled.")
        accepted.add_metric([], hits.accepted)
        yield accepted
        dropped = CounterMetricFamily(
            "leadline_hits_dropped", "Collector hits dropped by a pipeline step, by reason.", labels=["reason"]
        )
        # Every known reason, even at zero, so that rate() works from the first drop on.
        for reason in sorted({*self._drop_reasons, *hits.dropped}):
            dropped.add_metric([reason], hits.dropped.get(reason, 0))
        yield dropped
        backlog = self._spool_backlog()
        yield GaugeMetricFamily(
            "leadline_spool_segments", "Spool segments not yet stored (open and closed).", value=backlog.segments
        )
        yield GaugeMetricFamily(
            "leadline_spool_bytes", "Bytes of spool segments not yet stored.", value=backlog.size_bytes
        )
        yield GaugeMetricFamily(
            "leadline_spool_oldest_segment_age_seconds",
            "Age of the oldest spool segment not yet stored; 0 when the spool is empty.",
            value=backlog.oldest_age_seconds,
        )
        try:
            store_memory = self._event_store_memory()
        except Exception:  # a store that cannot say now (closing, failing): this scrape goes on without the figure
            store_memory = None
        if store_memory is not None:  # an embedded engine's cache lives in this process: its share of the RSS
            yield GaugeMetricFamily(
                "leadline_event_store_memory_bytes",
                "Memory the embedded event store's engine holds (cached blocks, query memory).",
                value=store_memory,
            )
        rejections = CounterMetricFamily(
            "leadline_rate_limit_rejections", "Requests refused by a rate limit, by limit name.", labels=["limit"]
        )
        for limit, count in sorted(self._rejections().items()):
            rejections.add_metric([limit], count)
        yield rejections


def new_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry of its own for one app: `collectors`, the report histogram, and the process's memory,
    CPU and open files (`process_*`)."""
    registry = CollectorRegistry(auto_describe=True)
    for collector in (REPORT_DURATIONS, *collectors):
        registry.register(collector)
    ProcessCollector(registry=registry)
    return registry


def metrics_route(registry: CollectorRegistry, token: str) -> Route:
    """GET /metrics in Prometheus text format, for requests bearing `token` (compared in constant time)."""
    expected = token.encode()
    challenge = {"WWW-Authenticate": 'Bearer realm="leadline-metrics"'}

    async def serve_metrics(request: Request) -> Response:
        scheme, _, presented = request.headers.get("authorization", "").strip().partition(" ")
        valid = scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), expected)
        if not valid:
            return error_response(401, "a valid metrics token is required: 'Authorization: Bearer <token>'", challenge)
        # The format the scraper asks for (Prometheus text 0.0.4 by default, OpenMetrics on request).
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        body = await run_in_threadpool(encode, registry)  # the live figures list the spool directory
        return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})

    return Route("/metrics", serve_metrics, methods=["GET"], name="metrics")
