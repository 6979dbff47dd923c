"""The client's address, from the socket or (behind a trusted proxy) from the header the proxy sets."""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request, header: str | None) -> str:
    if header:
        value = request.headers.get(header, "")
        # The proxy appends the address it saw; earlier entries are whatever the client claimed.
        candidates = [part.strip() for part in value.split(",") if part.strip()]
        if candidates:
            return candidates[-1]
    return request.client.host if request.client else ""
