"""The client's address, from the socket or (behind a trusted proxy) from the header the proxy sets."""

from __future__ import annotations

from collections.abc import Iterable


def client_address(headers: Iterable[tuple[bytes, bytes]], peer: str, header: bytes | None) -> str:
    """`header` is the lower-case name of the proxy's header, or None to trust only the socket's peer."""
    if header:
        for name, value in headers:
            if name == header:
                # The proxy appends the address it saw; earlier entries are whatever the client claimed.
                candidates = [part.strip() for part in value.decode("latin-1").split(",") if part.strip()]
                if candidates:
                    return candidates[-1]
    return peer
