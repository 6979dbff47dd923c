"""Builds the ASGI application: the REST API under /v1, the Integration API, health, errors and middleware."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from leadline.api.errors import ApiError, handle_api_error, handle_http_exception, handle_unexpected_error
from leadline.api.routes import api_routes
from leadline.collect.collector import Collector
from leadline.collect.endpoint import collection_routes
from leadline.config import Settings
from leadline.integrations.routes import integration_routes
from leadline.jobs import Job, Scheduler
from leadline.middleware import AccessLog, BodySizeLimit
from leadline.services import Services, build_services


def publication_job(services: Services) -> Job:
    """Publish closed days (after the grace period) of every subscribed dataset; first run soon after start."""
    settings = services.settings
    grace = timedelta(seconds=settings.publication_grace_seconds)

    def run() -> None:
        services.integrations.publisher.publish_due(grace, settings.publication_lookback_days)

    interval = settings.publication_interval_seconds
    return Job("publish_closed_days", interval, run, first_after_seconds=min(interval, 2.0))


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    """The whole Leadline application; settings come from the environment unless given."""
    settings = settings or Settings()
    services = services or build_services(settings)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    collector = Collector(services)
    publishing = Scheduler([publication_job(services)])

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await collector.start()
        publishing.start()
        try:
            yield
        finally:
            await publishing.stop()
            await collector.stop()
            services.close()

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "collector": collector.pipeline.stats.as_json()})

    routes: list[BaseRoute] = [
        Route("/health", health, methods=["GET"], name="health"),
        *collection_routes(collector),
        *integration_routes(services),
        Mount("/v1", routes=api_routes(services), name="v1"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(AccessLog),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.collector = collector
    return app
