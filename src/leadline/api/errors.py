"""The error REST handlers raise, and its handler: `{"error": "..."}` with the status and headers it names."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from leadline.http_errors import error_response


class ApiError(Exception):
    """An error for the API user: its message is safe to show and says how to fix the request."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


async def handle_api_error(_request: Request, error: Exception) -> Response:
    if not isinstance(error, ApiError):
        raise TypeError(error)
    return error_response(error.status, error.message, error.headers)
