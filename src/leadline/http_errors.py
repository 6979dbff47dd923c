"""The one shape of every non-2xx answer, `{"error": "..."}`, and the app-wide handlers that give it."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger("leadline.http")

_DEFAULT_MESSAGES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    410: "gone",
    413: "request body too large",
    415: "unsupported media type",
    429: "too many requests",
}


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


async def handle_http_exception(_request: Request, error: Exception) -> Response:
    if not isinstance(error, HTTPException):
        raise TypeError(error)
    # Starlette's own 404/405 carry generic details; keep ours short and JSON.
    message = _DEFAULT_MESSAGES.get(error.status_code, "request failed")
    if error.status_code == 404:
        message = "not found: no such endpoint"
    elif error.status_code == 405:
        message = "method not allowed on this endpoint"
    if error.status_code in (204, 304):
        return Response(status_code=error.status_code, headers=error.headers)
    return error_response(error.status_code, message, error.headers)


async def handle_unexpected_error(request: Request, error: Exception) -> Response:
    # The traceback goes to the log (no request data in it beyond method and path); the client learns nothing.
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal server error")
