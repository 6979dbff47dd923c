"""Who may read what: the client behind a bearer token, its request rate, and the publications it sees.

Shared by GraphQL and the row downloads, which answer to the same token.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadline.integrations.context import Integrations
from leadline.integrations.graphql.responses import error_body
from leadline.integrations.oauth import USER_AGENT_REQUIRED
from leadline.publishing.publications import Publication
from leadline.store.metadata.records import IntegrationClient


def _unauthorized(message: str) -> Response:
    return JSONResponse(
        error_body(message),
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="leadline", error="invalid_token"'},
    )


async def authenticate(request: Request, integrations: Integrations) -> IntegrationClient | Response:
    """The client a request's bearer token belongs to, or the error answer (400, 401 or 429) to send instead.

    A User-Agent if the deployment requires one, a live token, and the client's request rate limit.
    """
    if integrations.require_user_agent and not request.headers.get("user-agent", "").strip():
        return JSONResponse(error_body(USER_AGENT_REQUIRED), 400)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("missing bearer token: send Authorization: Bearer <access_token> from /oauth2/token")
    client = await run_in_threadpool(integrations.clients.client_for_token, token.strip())
    if client is None:
        return _unauthorized("invalid, expired or revoked access token: request a new one from /oauth2/token")
    retry_after = integrations.request_rate_limit.retry_after(client.id)
    if retry_after is not None:
        message = f"{integrations.request_rate_limit.describe()} per client; retry after {retry_after} seconds"
        return JSONResponse(error_body(message), 429, headers={"Retry-After": str(retry_after)})
    return client


def visible_publication(
    integrations: Integrations, client: IntegrationClient, publication_id: str
) -> Publication | None:
    """The publication if it is of the client's site and one of its subscribed datasets, else None."""
    found = integrations.publications.get(publication_id)
    if found is None or found.site_id != client.site_id or found.dataset not in client.datasets:
        return None
    return found


def not_visible(publication_id: str) -> str:
    """The message for a publication that does not exist or that the client may not see (the same, on purpose)."""
    return f"no publication {publication_id!r} among this client's subscribed datasets"
