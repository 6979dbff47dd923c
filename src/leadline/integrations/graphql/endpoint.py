"""`POST /api/integrations`: the HTTP edge of GraphQL (bearer token, rate limit, JSON body, batch size)."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadline.config import Settings
from leadline.integrations.context import Integrations
from leadline.integrations.graphql.access import authenticate
from leadline.integrations.graphql.execution import run_batch
from leadline.integrations.graphql.resolvers import Viewer
from leadline.integrations.graphql.responses import error_body
from leadline.integrations.oauth import public_base_url

MAX_BATCH = 20


async def graphql_endpoint(request: Request, settings: Settings, integrations: Integrations) -> Response:
    """Authenticate the bearer token, then run the batch; HTTP errors are `{"errors": [{"message"}]}` too."""
    client = await authenticate(request, integrations)
    if isinstance(client, Response):
        return client
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return JSONResponse(error_body("the body must be JSON: an operation object or an array of them"), 400)
    if isinstance(body, list) and not 1 <= len(body) <= MAX_BATCH:
        return JSONResponse(error_body(f"a batch holds 1 to {MAX_BATCH} operations"), 400)
    viewer = Viewer(client=client, integrations=integrations, base_url=public_base_url(settings, request))
    # Parsing, validation and resolvers are synchronous and read the metadata store: off the event loop.
    answer = await run_in_threadpool(run_batch, body, viewer)
    return JSONResponse(answer)
