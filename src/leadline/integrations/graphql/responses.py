"""The `{"errors": [{"message": ...}]}` body of every refusal, from a GraphQL operation or from HTTP."""

from __future__ import annotations

from typing import Any


def error_body(message: str) -> dict[str, Any]:
    """A GraphQL response that carries one error and no data."""
    return {"errors": [{"message": message}]}
