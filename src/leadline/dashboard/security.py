"""Headers every dashboard answer carries: a strict Content-Security-Policy, no framing but the public embed.

Scripts come only from the server's own files (or an inline one bearing the response's nonce); styles from its
own files, plus `style` attributes (bar widths) which cannot run code. Images may be inline `data:` URLs.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response


def new_nonce(request: Request) -> str:
    """A fresh nonce for this response's inline scripts; templates read it as `request.state.csp_nonce`."""
    nonce = secrets.token_urlsafe(16)
    request.state.csp_nonce = nonce
    return nonce


def allow_framing(request: Request) -> None:
    """Mark this answer as the public embed, which any page may put in an iframe."""
    request.state.embeddable = True


def content_security_policy(nonce: str, embeddable: bool) -> str:
    ancestors = "*" if embeddable else "'none'"
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        )
    )


def add_security_headers(request: Request, response: Response) -> Response:
    nonce = getattr(request.state, "csp_nonce", None) or new_nonce(request)
    embeddable = bool(getattr(request.state, "embeddable", False))
    response.headers["Content-Security-Policy"] = content_security_policy(nonce, embeddable)
    if not embeddable:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")  # pages of a signed-in owner stay out of caches
    return response
