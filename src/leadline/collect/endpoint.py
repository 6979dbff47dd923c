"""HTTP routes of collection: POST /api/event (CORS for any origin) and GET /script.js."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadline.api.errors import error_response
from leadline.collect.client_address import client_address
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


def collection_routes(collector: Collector) -> list[BaseRoute]:
    client_ip_header = collector.services.settings.client_ip_header

    async def collect(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return error_response(400, f"body too large: at most {MAX_BODY_BYTES} bytes", CORS_HEADERS)
        try:
            payload = parse_payload(body)
        except PayloadError as error:
            return error_response(400, str(error), CORS_HEADERS)
        hit = PendingHit(
            payload=payload,
            received_at=datetime.now(UTC).replace(tzinfo=None),
            ip=client_address(request, client_ip_header),
            user_agent=request.headers.get("user-agent", "")[:1024],
        )
        try:
            dropped = await collector.pipeline.run(hit)
        except (SpoolClosedError, OSError):
            return error_response(503, "not accepting hits right now; retry later", CORS_HEADERS)
        if dropped is DropReason.UNKNOWN_SITE:
            return error_response(404, "unknown site", CORS_HEADERS)
        # Dropped hits (bots, foreign hostnames) are answered like stored ones: nothing to learn from probing.
        return Response(status_code=202, headers=CORS_HEADERS)

    async def preflight(_request: Request) -> Response:
        return Response(status_code=204, headers=CORS_HEADERS)

    return [
        Route("/api/event", collect, methods=["POST"], name="collect"),
        Route("/api/event", preflight, methods=["OPTIONS"], name="collect_preflight"),
        Route("/script.js", serve_script, methods=["GET"], name="script"),
    ]
