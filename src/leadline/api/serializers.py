"""Stored records as the JSON objects of the Fathom API (one function per object type)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from leadline.store.metadata.integration_clients import IssuedClient
from leadline.store.metadata.pagination import Page
from leadline.store.metadata.records import Account, Event, IntegrationClient, Milestone, Site

T = TypeVar("T")
JSONObject = dict[str, Any]


def timestamp(value: datetime) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC, as the seed's examples show."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def account_json(account: Account) -> JSONObject:
    return {
        "id": account.id,
        "object": "account",
        "name": account.name,
        "email": account.email,
        "timezone": account.timezone,
    }


def site_json(site: Site) -> JSONObject:
    return {
        "id": site.id,
        "object": "site",
        "name": site.name,
        "sharing": site.sharing,
        "timezone": site.timezone,
        "multi_domain": site.multi_domain,
        "multi_domain_option": site.multi_domain_option,
        # A single-domain site's hostname ([] until set or bound by its first accepted hit); a multi-domain
        # site accepts every hostname.
        "domains": [site.primary_hostname] if site.primary_hostname and not site.multi_domain else [],
        "created_at": timestamp(site.created_at),
    }


def event_json(event: Event) -> JSONObject:
    return {
        "id": event.id,
        "object": "event",
        "name": event.name,
        "site_id": event.site_id,
        "created_at": timestamp(event.created_at),
    }


def milestone_json(milestone: Milestone) -> JSONObject:
    return {
        "id": milestone.id,
        "object": "milestone",
        "name": milestone.name,
        "site_id": milestone.site_id,
        "milestone_date": milestone.milestone_date.isoformat(),
        "created_at": timestamp(milestone.created_at),
        "updated_at": timestamp(milestone.updated_at),
    }


def integration_client_json(client: IntegrationClient) -> JSONObject:
    """A client as anyone with a `*` key may see it: never its secret."""
    return {
        "id": client.id,
        "object": "integration_client",
        # The same id under the name OAuth2 gives it, for the token request's `client_id`.
        "client_id": client.id,
        "name": client.name,
        "site_id": client.site_id,
        "datasets": list(client.datasets),
        "created_at": timestamp(client.created_at),
        "revoked_at": None if client.revoked_at is None else timestamp(client.revoked_at),
    }


def issued_client_json(issued: IssuedClient) -> JSONObject:
    """A client with the secret just made for it: only the answers to create and rotate carry it."""
    return integration_client_json(issued.client) | {"client_secret": issued.secret}


def deleted_json(object_type: str, object_id: str) -> JSONObject:
    return {"id": object_id, "object": object_type, "deleted": True}


def list_json(url: str, page: Page[T], to_json: Callable[[T], JSONObject]) -> JSONObject:
    data: Sequence[JSONObject] = [to_json(item) for item in page.items]
    return {"object": "list", "url": url, "has_more": page.has_more, "data": data}
