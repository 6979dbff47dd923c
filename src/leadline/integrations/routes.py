"""The Integration API's routes: the OAuth2 token endpoint, GraphQL, and publication downloads."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadline.config import Settings
from leadline.integrations.context import Integrations
from leadline.integrations.downloads import download_endpoint
from leadline.integrations.graphql import graphql_endpoint
from leadline.integrations.oauth import token_endpoint


def integration_routes(settings: Settings, integrations: Integrations) -> list[BaseRoute]:
    async def token(request: Request) -> Response:
        return await token_endpoint(request, settings, integrations)

    async def graphql(request: Request) -> Response:
        return await graphql_endpoint(request, settings, integrations)

    async def download(request: Request) -> Response:
        return await download_endpoint(request, integrations)

    return [
        Route("/oauth2/token", token, methods=["POST"], name="oauth2_token"),
        Route("/api/integrations", graphql, methods=["POST"], name="integrations_graphql"),
        Route(
            "/api/integrations/publications/{publication_id}/rows.{format}",
            download,
            methods=["GET"],
            name="integrations_download",
        ),
    ]
