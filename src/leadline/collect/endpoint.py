"""HTTP routes of collection: POST /api/event (CORS for any origin) and GET /script.js.

The collector is the hot path, so it is a plain ASGI endpoint: no Request/Response objects per hit.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import cache
from importlib.resources import files

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from leadline.collect.client_address import ClientAddressPolicy, client_address
from leadline.collect.collector import Collector
from leadline.collect.payload import MAX_BODY_BYTES, PayloadError, parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason
from leadline.collect.spool import SpoolClosedError

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}
_RAW_CORS = [(name.lower().encode(), value.encode()) for name, value in CORS_HEADERS.items()]
_JSON = (b"content-type", b"application/json")
MAX_USER_AGENT = 1024
logger = logging.getLogger(__name__)


@cache
def tracking_script() -> tuple[bytes, str]:
    body = files("leadline.collect").joinpath("script.js").read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


async def serve_script(request: Request) -> Response:
    body, etag = tracking_script()
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


async def respond(send: Send, status: int, error: str | None = None) -> None:
    body = orjson.dumps({"error": error}) if error is not None else b""
    # An explicit length keeps the server from chunking (one write per response instead of two).
    headers = [*_RAW_CORS, (b"content-length", str(len(body)).encode())]
    if error is not None:
        headers.append(_JSON)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class CollectEndpoint:
    """POST /api/event: validate, run the pipeline (which spools the hit), then acknowledge."""

    def __init__(self, collector: Collector, address_policy: ClientAddressPolicy) -> None:
        self.collector = collector
        self.address_policy = address_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive, MAX_BODY_BYTES)
        if body is None:
            await respond(send, 400, f"body too large: at most {MAX_BODY_BYTES} bytes")
            return
        try:
            payload = parse_payload(body)
        except PayloadError as error:
            await respond(send, 400, str(error))
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        user_agent = next((value for name, value in headers if name == b"user-agent"), b"")
        peer = scope["client"][0] if scope.get("client") else ""
        hit = PendingHit(
            payload=payload,
            received_at=time.time(),
            ip=client_address(headers, peer, self.address_policy),
            user_agent=user_agent[:MAX_USER_AGENT].decode("latin-1"),
        )
        try:
            dropped = await self.collector.pipeline.run(hit)
        except (SpoolClosedError, OSError):
            await respond(send, 503, "not accepting hits right now; retry later")
            return
        if dropped is DropReason.UNKNOWN_SITE:
            await respond(send, 404, "unknown site")
            return
        # Dropped hits (bots, foreign hostnames) are answered like stored ones: nothing to learn from probing.
        await respond(send, 202)


class BareEndpoint:
    """POST /api/bare: receives the body and answers 204 without looking at it: the collector minus its work."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive, MAX_BODY_BYTES)
        await respond(send, 204)


async def preflight(_request: Request) -> Response:
    return Response(status_code=204, headers=CORS_HEADERS)


def collection_routes(
    collector: Collector, address_policy: ClientAddressPolicy | None = None, bare_endpoint: bool = False
) -> list[BaseRoute]:
    """The script, the collector endpoint; `address_policy` says when a proxy's header gives the address."""
    address_policy = address_policy or ClientAddressPolicy()
    if address_policy.loopback_by_default:
        logger.warning(
            "LEADLINE_CLIENT_IP_HEADER is set without LEADLINE_TRUSTED_PROXIES: "
            "the header is trusted only from loopback peers (127.0.0.0/8, ::1)"
        )
    endpoint = CollectEndpoint(collector, address_policy)
    routes: list[BaseRoute] = [
        Route("/api/event", endpoint, methods=["POST"], name="collect"),
        Route("/api/event", preflight, methods=["OPTIONS"], name="collect_preflight"),
        Route("/script.js", serve_script, methods=["GET"], name="script"),
    ]
    if bare_endpoint:
        routes.append(Route("/api/bare", BareEndpoint(), methods=["POST"], name="bare"))
    return routes
