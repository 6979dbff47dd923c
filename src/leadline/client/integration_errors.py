"""The errors of the Integration API client: token endpoint refusals, GraphQL errors, and HTTP error answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from leadline.client.errors import LeadlineError


class TokenError(LeadlineError):
    """The token endpoint refused: `error` is the RFC 6749 code (invalid_client, invalid_scope, slow_down, ...)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(status, f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class GraphQLError(LeadlineError):
    """The API answered a query with GraphQL `errors` (HTTP 200); `messages` lists them.

    In a batch, `index` is the position of the operation that failed.
    """

    def __init__(self, errors: Sequence[Mapping[str, Any]], index: int | None = None) -> None:
        self.errors = [dict(error) for error in errors]
        self.messages = [str(error.get("message", error)) for error in errors]
        self.index = index
        where = "" if index is None else f"operation {index}: "
        super().__init__(200, where + "; ".join(self.messages))


def token_error_from_response(response: httpx.Response) -> TokenError:
    """The RFC 6749 §5.2 error of a token answer; a body that is not one keeps the status and text."""
    body = _json_or_none(response)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return TokenError(response.status_code, body["error"], str(body.get("error_description") or ""))
    return TokenError(response.status_code, "invalid_response", response.text.strip() or response.reason_phrase)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
