"""ASGI middleware every route shares: a body size cap and a JSON access log that records nothing personal."""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Protocol

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadline.http_errors import error_response

access_log = logging.getLogger("leadline.access")
MAX_LOGGED_PATH = 200
# Request ids need to be unique, not secret: a generator seeded once from the OS. `secrets` would ask the
# kernel for every request, and that system call lets a background thread take the GIL from the event loop.
_request_ids = random.Random(os.urandom(32))  # noqa: S311 - unique, not secret (see above)
os.register_at_fork(after_in_child=lambda: _request_ids.seed(os.urandom(32)))  # no forked twin repeats ids


class BodyTooLargeError(Exception):
    pass


class BodySizeLimit:
    """Answers 413 when a body is larger than `max_bytes`, whether or not it declares its length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message = f"request body too large: at most {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = self.message
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                status = 413 if value.isdigit() else 400
                await error_response(status, message if status == 413 else "invalid Content-Length")(
                    scope, receive, send
                )
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return incoming

        async def tracking_send(outgoing: Message) -> None:
            nonlocal response_started
            if outgoing["type"] == "http.response.start":
                response_started = True
            await send(outgoing)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not response_started:
                await error_response(413, message)(scope, receive, send)


class RequestObserver(Protocol):
    """Told of every answered request (the metrics); `route` is the template, None when no route matched."""

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None: ...


class AccessLog:
    """Logs one JSON line per request: method, route, status, duration and a request id, nothing personal.

    The route is the matched route's template (`/v1/sites/{site_id}`), so ids stay out of the log too; an
    unmatched path is logged cut short. Never a query string, address, user agent, key or secret. The same
    measurement goes to `observer` (the request metrics), so a request is timed once.
    """

    def __init__(self, app: ASGIApp, observer: RequestObserver | None = None) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = f"{_request_ids.getrandbits(64):016x}"

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            seconds = time.perf_counter() - started
            matched = matched_route(scope)
            fields = {
                "method": scope["method"],
                # An unmatched path is logged (cut short) to show what was probed; metrics never see it.
                "route": matched if matched is not None else str(scope["path"])[:MAX_LOGGED_PATH],
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "request_id": request_id,
            }
            access_log.info("request", extra={"fields": fields})
            if self.observer is not None:
                self.observer.observe(scope["method"], matched, status, seconds)


def matched_route(scope: Scope) -> str | None:
    """The matched route's path template with its mount prefix; None when no route matched.

    A mount whose own routes matched nothing (or that serves an app of its own, like static files) is
    `<prefix>/{path}`: its template, never the path asked for.
    """
    route = scope.get("route")
    if isinstance(route, Mount):
        return str(scope.get("root_path", "")) + "/{path}"
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return str(scope.get("root_path", "")) + template
    return None
