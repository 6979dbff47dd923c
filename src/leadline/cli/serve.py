"""`leadline serve` and `leadline version`: run the server, or say which Leadline this is."""

from __future__ import annotations

import math
import os
from typing import Annotated

import typer
import uvicorn

from leadline import __version__
from leadline.cli.options import HostOption, PortOption
from leadline.cli.output import console, fail, fail_on
from leadline.cli.stores import load_settings, metadata_store, warn_about_wide_modes
from leadline.config import Settings
from leadline.logs import configure_logging
from leadline.store.shared.connection import SharedStateUnavailableError, check_redis


def version() -> None:
    """Print Leadline's version."""
    console.print(__version__)


def serve(
    host: HostOption = None,
    port: PortOption = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default 1).")] = None,
) -> None:
    """Serve the tracking endpoint, the REST API and the dashboard."""
    run_server(load_settings(host=host, port=port, workers=workers))


def run_server(settings: Settings) -> None:
    """Serve until stopped, with the schema migrated first."""
    if settings.workers > 1 and settings.event_store_url.startswith("duckdb:"):
        fail("the embedded DuckDB event store is single-process: use --workers 1, or LEADLINE_EVENTS_URL for a server")
    if settings.workers > 1 and settings.redis_url is None:
        # Each worker would keep its own sessions, rate-limit counters and caches, and run every job itself.
        fail(
            f"--workers {settings.workers} needs a Redis the workers share (LEADLINE_REDIS_URL=redis://HOST:PORT/0): "
            "without one, use --workers 1"
        )
    if settings.redis_url is not None:
        with fail_on(SharedStateUnavailableError):  # checked once here, not by each worker failing to start
            check_redis(settings.redis_url)
    configure_logging(settings.log_level)  # the start's warnings are JSON lines like the rest
    warn_about_wide_modes(settings)  # files already there; those made from here on are owner-only
    with metadata_store(settings):
        pass  # opening migrates: once, here, before any worker starts
    # Each worker reads its settings from the environment: it must know it is one of several (its spool
    # directory depends on it) also when the count came from --workers.
    os.environ["LEADLINE_WORKERS"] = str(settings.workers)
    uvicorn.run(
        "leadline.app:create_served_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,  # uvicorn's access log records client addresses; ours does not
        # Leadline alone decides whom to believe about client addresses (LEADLINE_TRUSTED_PROXIES); uvicorn's
        # own X-Forwarded-For handling would trust any loopback peer before Leadline sees the request.
        proxy_headers=False,
        log_level=settings.log_level,
        server_header=False,
        # On SIGTERM uvicorn stops accepting, lets requests in flight finish for at most this long (then
        # cancels them), and only then runs the lifespan's shutdown: the spool's last segment is flushed.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_seconds),  # uvicorn declares whole seconds
    )
