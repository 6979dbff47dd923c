"""The REST v1 operations as data, with no I/O: how to build each request and read its answer; the clients send them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from leadline.client.errors import error_from_response
from leadline.client.models import Account, CurrentVisitors, Deleted, Event, IntegrationClient, Milestone, Page, Site

T = TypeVar("T")

Params = Mapping[str, str | int | bool | None]
Body = Mapping[str, str | int | bool | Sequence[str] | None]


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request ready to send, and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None

    def result(self, response: httpx.Response) -> T:
        """The parsed answer, or the API error it carries raised."""
        if response.status_code >= 400:
            raise error_from_response(response)
        return self.parse(response.json())


@dataclass(frozen=True)
class Operation(Generic[T]):
    method: str
    path: str  # with {placeholders} for the ids
    parse: Callable[[Any], T]

    def __call__(self, *ids: str, params: Params | None = None, body: Body | None = None) -> Call[T]:
        # Ids come from users and earlier answers: quote them so one cannot change the path.
        path = self.path.format(*(quote(value, safe="") for value in ids))
        return Call(self.method, path, self.parse, _query(params or {}), _body(body))


def _query(params: Params) -> dict[str, str]:
    # The API reads booleans as "true"/"false"; None means "not given".
    encoded = {}
    for name, value in params.items():
        if value is None:
            continue
        encoded[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return encoded


def _body(body: Body | None) -> dict[str, Any] | None:
    # Updates send only the fields to change, so unset (None) fields are left out; sequences go as JSON arrays.
    if body is None:
        return None
    return {
        name: value if isinstance(value, str | int | bool) else list(value)
        for name, value in body.items()
        if value is not None
    }


def _aggregation_rows(data: Any) -> list[dict[str, str]]:
    return [{str(key): str(value) for key, value in row.items()} for row in data["data"]]


def _empty(data: Any) -> None:
    return None


SITE = "/v1/sites/{}"
EVENT = SITE + "/events/{}"
MILESTONE = SITE + "/milestones/{}"
INTEGRATION_CLIENTS = "/v1/integration_clients"
INTEGRATION_CLIENT = INTEGRATION_CLIENTS + "/{}"

GET_ACCOUNT = Operation("GET", "/v1/account", Account.model_validate)
LIST_SITES = Operation("GET", "/v1/sites", Page[Site].model_validate)
CREATE_SITE = Operation("POST", "/v1/sites", Site.model_validate)
GET_SITE = Operation("GET", SITE, Site.model_validate)
UPDATE_SITE = Operation("POST", SITE, Site.model_validate)
DELETE_SITE = Operation("DELETE", SITE, Deleted.model_validate)
WIPE_SITE_DATA = Operation("DELETE", SITE + "/data", _empty)
LIST_EVENTS = Operation("GET", SITE + "/events", Page[Event].model_validate)
CREATE_EVENT = Operation("POST", SITE + "/events", Event.model_validate)
GET_EVENT = Operation("GET", EVENT, Event.model_validate)
UPDATE_EVENT = Operation("POST", EVENT, Event.model_validate)
DELETE_EVENT = Operation("DELETE", EVENT, Deleted.model_validate)
WIPE_EVENT_DATA = Operation("DELETE", EVENT + "/data", _empty)
LIST_MILESTONES = Operation("GET", SITE + "/milestones", Page[Milestone].model_validate)
CREATE_MILESTONE = Operation("POST", SITE + "/milestones", Milestone.model_validate)
GET_MILESTONE = Operation("GET", MILESTONE, Milestone.model_validate)
UPDATE_MILESTONE = Operation("POST", MILESTONE, Milestone.model_validate)
DELETE_MILESTONE = Operation("DELETE", MILESTONE, Deleted.model_validate)
GET_AGGREGATIONS = Operation("GET", "/v1/aggregations", _aggregation_rows)
GET_CURRENT_VISITORS = Operation("GET", "/v1/current_visitors", CurrentVisitors.model_validate)
LIST_INTEGRATION_CLIENTS = Operation("GET", INTEGRATION_CLIENTS, Page[IntegrationClient].model_validate)
CREATE_INTEGRATION_CLIENT = Operation("POST", INTEGRATION_CLIENTS, IntegrationClient.model_validate)
GET_INTEGRATION_CLIENT = Operation("GET", INTEGRATION_CLIENT, IntegrationClient.model_validate)
ROTATE_INTEGRATION_CLIENT_SECRET = Operation("POST", INTEGRATION_CLIENT + "/rotate", IntegrationClient.model_validate)
REVOKE_INTEGRATION_CLIENT = Operation("DELETE", INTEGRATION_CLIENT, Deleted.model_validate)


def page_params(limit: int | None, starting_after: str | None, ending_before: str | None) -> Params:
    return {"limit": limit, "starting_after": starting_after, "ending_before": ending_before}


def aggregations_call(
    *,
    entity: str,
    aggregates: str | Sequence[str],
    entity_id: str | None,
    site_id: str | None,
    entity_name: str | None,
    date_grouping: str | None,
    field_grouping: str | None,
    sort_by: str | None,
    timezone: str | None,
    date_from: int | str | None,
    date_to: int | str | None,
    limit: int | None,
    filters: Sequence[Mapping[str, str]] | None,
) -> Call[list[dict[str, str]]]:
    return GET_AGGREGATIONS(
        params={
            "entity": entity,
            "aggregates": aggregates if isinstance(aggregates, str) else ",".join(aggregates),
            "entity_id": entity_id,
            "site_id": site_id,
            "entity_name": entity_name,
            "date_grouping": date_grouping,
            "field_grouping": field_grouping,
            "sort_by": sort_by,
            "timezone": timezone,
            "date_from": date_from,
            "date_to": date_to,
            "limit": limit,
            # The API takes filters as one JSON-encoded query parameter.
            "filters": None if filters is None else json.dumps([dict(item) for item in filters]),
        }
    )


def site_body(
    name: str | None,
    sharing: str | None,
    share_password: str | None,
    timezone: str | None,
    multi_domain: bool | None,
    multi_domain_option: str | None,
) -> Params:
    return {
        "name": name,
        "sharing": sharing,
        "share_password": share_password,
        "timezone": timezone,
        "multi_domain": multi_domain,
        "multi_domain_option": multi_domain_option,
    }


def integration_client_body(site_id: str, name: str | None, datasets: str | Sequence[str] | None) -> Body:
    return {
        "site_id": site_id,
        "name": name,
        # A string is comma-separated names, as for aggregates (and never a sequence of letters).
        "datasets": [name.strip() for name in datasets.split(",")] if isinstance(datasets, str) else datasets,
    }
