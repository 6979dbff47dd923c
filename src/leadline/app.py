"""Builds the ASGI application: collection, the REST API under /v1, the Integration API, health and errors."""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys
from collections.abc import AsyncIterator

from prometheus_client import CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from leadline.admin.server import admin_socket
from leadline.api.errors import ApiError, handle_api_error
from leadline.api.routes import api_routes
from leadline.collect.collector import Collector
from leadline.collect.endpoint import collection_routes
from leadline.collect.pipeline import DropReason
from leadline.config import Settings
from leadline.dashboard.routes import dashboard_routes
from leadline.deployment import Deployment, build_deployment
from leadline.http_errors import error_response, handle_http_exception, handle_unexpected_error
from leadline.integrations.routes import integration_routes
from leadline.jobs import Scheduler, job_table
from leadline.logs import configure_logging
from leadline.metrics import HttpMetrics, LiveFigures, metrics_route, new_registry
from leadline.middleware import AccessLog, BodySizeLimit
from leadline.rate_limiter import RateLimitUnavailableError
from leadline.store.events.base import EventStoreUnavailableError, memory_bytes


def create_app(
    settings: Settings | None = None, deployment: Deployment | None = None, *, serving_process: bool = False
) -> Starlette:
    """The whole Leadline application; settings come from the environment unless given.

    `serving_process`: the app is all this process serves, for days (`leadline serve`): once started, it tunes
    the interpreter for that (see `tune_interpreter_for_serving`).
    """
    settings = settings or Settings()
    deployment = deployment or build_deployment(settings)
    configure_logging(settings.log_level)

    collector = deployment.new_collector()
    scheduler = Scheduler(job_table(deployment, collector))
    registry = metrics_registry(deployment, collector, scheduler)
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""

    admin = admin_socket(deployment.admin())  # operator commands (backup) while this server holds the stores

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await collector.start()
        scheduler.start()
        if admin is not None:
            admin.start()
        if serving_process:
            tune_interpreter_for_serving()
        try:
            yield
        finally:
            if admin is not None:
                admin.stop()
            await scheduler.stop()
            await collector.stop()
            deployment.close()

    # No figures in either answer: counts of accepted and dropped hits would undo the collector's
    # always-202 answer to probes (a bot could learn whether it was counted).
    async def live(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(_request: Request) -> Response:
        if not collector.spool.accepting:
            return error_response(503, "not ready: the collector is not accepting hits")
        try:
            await run_in_threadpool(deployment.metadata.ping)
        except SQLAlchemyError:
            return error_response(503, "not ready: the metadata store does not answer")
        return JSONResponse({"status": "ready"})

    routes: list[BaseRoute] = [
        Route("/health", live, methods=["GET"], name="health"),  # kept for existing probes: same as /health/live
        Route("/health/live", live, methods=["GET"], name="health_live"),
        Route("/health/ready", ready, methods=["GET"], name="health_ready"),
        *collection_routes(collector, deployment.client_addresses, settings.bench_bare_endpoint),
        *integration_routes(settings, deployment.integrations()),
        Mount("/v1", routes=api_routes(deployment.api_context()), name="v1"),
        *dashboard_routes(deployment.dashboard()),
        # No token, no route: /metrics then answers the 404 of any unknown path.
        *([metrics_route(registry, metrics_token)] if metrics_token else []),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(AccessLog, observer=HttpMetrics(registry)),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            RateLimitUnavailableError: handle_rate_limits_unavailable,
            EventStoreUnavailableError: handle_event_store_unavailable,
            Exception: handle_unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.deployment = deployment
    app.state.collector = collector
    return app


def create_served_app() -> Starlette:
    """The application as `leadline serve` runs it (uvicorn's factory, in each worker process).

    Not `create_app` itself: tests build many apps in one process, and a frozen heap is never collected.
    """
    return create_app(serving_process=True)


SERVING_SWITCH_INTERVAL_SECONDS = 0.001
# Net allocations of tracked objects that start a young collection (CPython's default: 700). See below.
SERVING_GC_THRESHOLD = 10_000
# Modules a dependency imports on first use, under the GIL, while requests wait: DuckDB imports pandas (when it
# is installed) on its first Arrow insert, the first flush of the spool, ~0.5 s of stalled requests.
DEFERRED_IMPORTS = ("pandas",)


def tune_interpreter_for_serving() -> None:
    """Keep the garbage collector and the background threads from stalling the event loop.

    Measured with bench/ingest.py under load, both stalled every request in flight for tens of milliseconds:
    - The imported modules, the stores and the caches are ~150k objects that live as long as the process; a
      full collection walked them all (80-180 ms). Frozen, a full collection walks only what came after.
    - The spool flusher's thread (building Arrow arrays from the rows) takes the GIL from the event loop for a
      whole switch interval at a time (5 ms by default), several times per flush. At 1 ms each wait is
      shorter; the flush gets the same share of the GIL.
    - DEFERRED_IMPORTS are imported now, before requests come, and frozen with the rest.
    - A young collection starts after SERVING_GC_THRESHOLD net allocations instead of 700. The requests in
      flight hold a few thousand objects between them (more since hits wait for their batch), so at 700 the
      count crossed the threshold over and over with nothing to collect: measured in-process with 16 requests
      at a time, 580-1,450 young, 50-130 middle and 5-9 full collections per 32,000 hits, 2.5-6.5 us of each
      hit, and full collections of 4-80 ms (every request in flight waits them out). At 10,000: none.
      Garbage in cycles (rare here: requests free their objects by reference counting) waits a little longer.
    """
    for name in DEFERRED_IMPORTS:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    gc.collect()
    gc.freeze()
    gc.set_threshold(SERVING_GC_THRESHOLD, *gc.get_threshold()[1:])
    sys.setswitchinterval(SERVING_SWITCH_INTERVAL_SECONDS)


async def handle_event_store_unavailable(_request: Request, _error: Exception) -> Response:
    # A server-backed event store (a ClickHouse shard) is down: the request is fine, only now is not. Collection
    # goes on meanwhile (the spool keeps hits and the flusher retries); reports and reads wait for the store.
    return error_response(503, "the event store is unavailable right now; retry later", {"Retry-After": "10"})


async def handle_rate_limits_unavailable(_request: Request, _error: Exception) -> Response:
    # The shared counters (Redis) do not answer: refuse for now rather than let requests through unchecked.
    return error_response(503, "rate limits cannot be checked right now; retry later", {"Retry-After": "5"})


def metrics_registry(deployment: Deployment, collector: Collector, scheduler: Scheduler) -> CollectorRegistry:
    """This app's own registry: live figures of its collector and rate limits, flush and job timings."""
    figures = LiveFigures(
        hits=lambda: collector.pipeline.stats,
        drop_reasons=[reason.value for reason in DropReason],
        spool_backlog=collector.spool.backlog,
        rate_limit_rejections=deployment.rate_limiter.rejections.counts,
        event_store_memory=lambda: memory_bytes(deployment.event_store),
    )
    flusher = collector.flusher
    return new_registry(figures, flusher.durations, flusher.failures, *scheduler.metrics.collectors())
