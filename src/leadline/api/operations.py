"""The v1 operation table's machinery: each operation declares its need and rate bucket once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadline.api.calls import ApiCall, authenticate
from leadline.api.context import ApiContext
from leadline.api.errors import ApiError
from leadline.api.permissions import Need
from leadline.api.rate_limits import Bucket
from leadline.store.metadata.pagination import UnknownCursorError
from leadline.store.metadata.records import ConflictError, NotFoundError
from leadline.store.metadata.sites import InvalidSiteSettingsError

Handler = Callable[[ApiCall], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    """One operation of the REST API, named as in the seed OpenAPI document."""

    operation_id: str
    method: str
    path: str  # relative to /v1
    need: Need
    handler: Handler
    bucket: Bucket = Bucket.MANAGEMENT

    @property
    def site_in_path(self) -> bool:
        return "{site_id}" in self.path


def _execute(
    operation: Operation, context: ApiContext, request: Request, body: bytes
) -> tuple[dict[str, Any], dict[str, str]]:
    key = authenticate(context.metadata, request.headers.get("authorization"))
    headers = context.rate_limits.check(operation.bucket, key.id)
    call = ApiCall(
        context=context,
        key=key,
        path=request.url.path,
        path_params=request.path_params,
        query=request.query_params,
        body=body,
        content_type=request.headers.get("content-type"),
    )
    if operation.site_in_path:
        call.site = call.require_site(request.path_params["site_id"], operation.need)
    elif operation.need not in (Need.READ_SITE, Need.MANAGE_SITE):
        call.require(operation.need)
    # Otherwise the site comes from the query and the handler checks it with require_site.
    try:
        return operation.handler(call), headers
    except NotFoundError as error:
        raise ApiError(404, str(error)) from error
    except (UnknownCursorError, ConflictError, InvalidSiteSettingsError) as error:
        raise ApiError(400, str(error)) from error


def to_route(operation: Operation, context: ApiContext) -> Route:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        payload, headers = await run_in_threadpool(_execute, operation, context, request, body)
        return JSONResponse(payload, headers=headers)

    return Route(operation.path, endpoint, methods=[operation.method], name=operation.operation_id)
