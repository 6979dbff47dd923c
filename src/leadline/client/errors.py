"""The errors the Leadline client raises, one class per HTTP status the API answers with."""

from __future__ import annotations

from typing import Any

import httpx


class LeadlineError(Exception):
    """An error answer of the API: its HTTP status and the message of its `{"error": "..."}` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class BadRequestError(LeadlineError):
    """400: a parameter or body field is wrong; the message says which and why."""


class AuthenticationError(LeadlineError):
    """401: the API key is missing, unknown or revoked."""


class PermissionDeniedError(LeadlineError):
    """403: the key lacks the permission the operation needs."""


class NotFoundError(LeadlineError):
    """404: no such site, event or milestone (for this account)."""


class GoneError(LeadlineError):
    """410: the endpoint is retired."""


class RateLimitedError(LeadlineError):
    """429: too many requests; `retry_after` is the server's advice in seconds, if it gave one."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, message)
        self.retry_after = retry_after


class ServerError(LeadlineError):
    """5xx: the server failed."""


_BY_STATUS: dict[int, type[LeadlineError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    410: GoneError,
}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds; None when absent or not a number (HTTP dates are not used by Leadline)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)


def error_from_response(response: httpx.Response) -> LeadlineError:
    """The exception for an error answer, carrying the server's message."""
    message = _message_of(response)
    status = response.status_code
    if status == 429:
        return RateLimitedError(status, message, retry_after_seconds(response))
    if status >= 500:
        return ServerError(status, message)
    return _BY_STATUS.get(status, LeadlineError)(status, message)


def _message_of(response: httpx.Response) -> str:
    """REST's `{"error"}` or the Integration API's `{"errors": [{"message"}]}`; a proxy in front of the server may
    answer with HTML or nothing: then the text or the reason phrase."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        messages = [str(error.get("message")) for error in body["errors"] if isinstance(error, dict)]
        if messages:
            return "; ".join(messages)
    return response.text.strip() or response.reason_phrase
