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


# Headers of the answers without a body, built once: the collector's 202 and the bare endpoint's 204.
_EMPTY_ANSWER_HEADERS = {status: [*_RAW_CORS, (b"content-length", b"0")] for status in (202, 204)}
RETRY_AFTER_SECONDS = 10  # told to clients refused because the spool cannot keep their hits


async def respond(
    send: Send, status: int, error: str | None = None, extra_headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = orjson.dumps({"error": error}) if error is not None else b""
    template = _EMPTY_ANSWER_HEADERS.get(status) if not body and not extra_headers else None
    if template is not None:
        headers = [*template]  # a copy: middleware may add to an answer's headers in place
    else:
        # An explicit length keeps the server from chunking (one write per response instead of two).
        headers = [*_RAW_CORS, (b"content-length", str(len(body)).encode()), *extra_headers]
        if error is not None:
            headers.append(_JSON)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def refuse(send: Send, reason: DropReason) -> None:
    """503 with Retry-After: the hit is not stored, and a client that retries later loses nothing."""
    message = _REFUSALS.get(reason, "not accepting hits right now; retry later")
    await respond(send, 503, message, ((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),))


_REFUSALS = {
    DropReason.SPOOL_FULL: "the spool is full (the event store is not taking hits); retry later",
    DropReason.DISK_FULL: "the server's disk is nearly full; retry later",
}


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
        pipeline = self.collector.pipeline
        # Refused before any step runs, so a refused hit changes nothing (no session, no hostname binding).
        full = self.collector.spool.full_reason()
        if full is not None:
            reason = DropReason(full)
            pipeline.count_drop(reason)
            await refuse(send, reason)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        user_agent = b""
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value
                break
        client = scope.get("client")
        hit = PendingHit(
            payload,
            time.time(),
            client_address(headers, client[0] if client else "", self.address_policy),
            user_agent[:MAX_USER_AGENT].decode("latin-1"),
        )
        try:
            dropped = await self.collector.batches.submit(hit)
        except (SpoolClosedError, OSError):
            pipeline.count_drop(DropReason.SPOOL_UNAVAILABLE)
            await refuse(send, DropReason.SPOOL_UNAVAILABLE)
            return
        if dropped is None:
            await respond(send, 202)
        elif dropped is DropReason.UNKNOWN_SITE:
            await respond(send, 404, "unknown site")
        else:
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
