"""`/v1/integration_clients`: an account's Integration API (OAuth2) clients, managed with a `*` key."""

from __future__ import annotations

from leadline.api.calls import ApiCall
from leadline.api.errors import ApiError
from leadline.api.models import LIST_INTEGRATION_CLIENT_FIELDS, IntegrationClientCreate
from leadline.api.permissions import Need
from leadline.api.serializers import (
    JSONObject,
    deleted_json,
    integration_client_json,
    issued_client_json,
    list_json,
)
from leadline.store.metadata.records import IntegrationClient, NotFoundError


def _own_client(call: ApiCall) -> IntegrationClient:
    """The client in the path if it is the calling account's; 404 alike for missing and foreign ones."""
    client_id = call.path_id("client_id", "integration client")
    not_found = ApiError(404, f"integration client {client_id!r} not found")
    try:
        client = call.metadata.integration_clients.get(client_id)
    except NotFoundError as error:
        raise not_found from error
    if client.account_id != call.account_id:
        raise not_found
    return client


def list_integration_clients(call: ApiCall) -> JSONObject:
    page = call.metadata.integration_clients.list_page(call.account_id, call.page_request())
    return list_json(call.path, page, integration_client_json)


def create_integration_client(call: ApiCall) -> JSONObject:
    body = call.body_as(IntegrationClientCreate, lists=LIST_INTEGRATION_CLIENT_FIELDS)
    site = call.require_site(body.site_id, Need.FULL_ACCESS)
    issued = call.metadata.integration_clients.create(call.account_id, site.id, body.datasets, name=body.name)
    return issued_client_json(issued)


def get_integration_client(call: ApiCall) -> JSONObject:
    return integration_client_json(_own_client(call))


def rotate_integration_client_secret(call: ApiCall) -> JSONObject:
    client = _own_client(call)
    revoked = ApiError(400, f"integration client {client.id!r} is revoked: create a new client instead")
    if client.revoked_at is not None:
        raise revoked
    try:
        issued = call.metadata.integration_clients.rotate(client.id)
    except NotFoundError as error:  # revoked between the look-up and the rotation
        raise revoked from error
    return issued_client_json(issued)


def revoke_integration_client(call: ApiCall) -> JSONObject:
    # Revoking again is harmless and keeps the first revoked_at.
    client = call.metadata.integration_clients.revoke(_own_client(call).id)
    return deleted_json("integration_client", client.id)
