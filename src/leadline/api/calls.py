"""One authenticated API call: who is calling, what they may do, and helpers handlers share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.datastructures import QueryParams

from leadline.api.bodies import coerce_form_booleans, parse_object, split_form_lists, validate
from leadline.api.context import ApiContext
from leadline.api.errors import ApiError
from leadline.api.permissions import Grant, Need, allows, parse_permission
from leadline.forms import is_form
from leadline.store.events import EventStore
from leadline.store.ids import looks_like_id
from leadline.store.metadata.pagination import PageRequest
from leadline.store.metadata.records import Account, ApiKey, NotFoundError, Site
from leadline.store.metadata.store import MetadataStore

ModelT = TypeVar("ModelT", bound=BaseModel)

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


def authenticate(metadata: MetadataStore, authorization: str | None) -> ApiKey:
    """The active key named by an `Authorization: Bearer <key>` header, or a 401 ApiError."""
    challenge = {"WWW-Authenticate": 'Bearer realm="leadline"'}
    if not authorization:
        raise ApiError(401, "missing API key: send it as 'Authorization: Bearer <key>'", challenge)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "malformed Authorization header: expected 'Bearer <key>'", challenge)
    key = metadata.api_keys.authenticate(token.strip())
    if key is None:
        raise ApiError(401, "invalid or revoked API key", challenge)
    return key


def forbidden(need: Need) -> ApiError:
    return ApiError(403, f"this API key lacks the permission for this operation ({need.value})")


@dataclass
class ApiCall:
    context: ApiContext
    key: ApiKey
    path: str
    path_params: Mapping[str, str]
    query: QueryParams
    body: bytes
    content_type: str | None
    site: Site | None = None
    grants: tuple[Grant, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.grants = tuple(parse_permission(text) for text in self.key.permissions)

    @property
    def metadata(self) -> MetadataStore:
        return self.context.metadata

    @property
    def event_store(self) -> EventStore:
        return self.context.event_store

    @property
    def account_id(self) -> str:
        return self.key.account_id

    def account(self) -> Account:
        return self.metadata.accounts.get(self.account_id)

    def require(self, need: Need, site_id: str | None = None) -> None:
        if not allows(self.grants, need, site_id):
            raise forbidden(need)

    def require_site(self, site_id: str, need: Need) -> Site:
        """The account's site `site_id` (404 if it is not one, even if another account has it), checked for `need`."""
        if not looks_like_id(site_id):
            raise ApiError(404, f"site {site_id!r} not found")
        try:
            site = self.metadata.sites.get(self.account_id, site_id)
        except NotFoundError as error:
            raise ApiError(404, f"site {site_id!r} not found") from error
        self.require(need, site.id)
        return site

    @property
    def current_site(self) -> Site:
        if self.site is None:
            raise RuntimeError("operation has no site in its path")
        return self.site

    def path_id(self, name: str, object_type: str) -> str:
        """A path parameter naming an object; ids that cannot exist are a 404 without a lookup."""
        value = self.path_params[name]
        if not looks_like_id(value):
            raise ApiError(404, f"{object_type} {value!r} not found")
        return value

    def fields(self, booleans: tuple[str, ...] = (), lists: tuple[str, ...] = ()) -> dict[str, Any]:
        fields = parse_object(self.body, self.content_type)
        if lists and is_form(self.content_type):
            fields = split_form_lists(fields, lists)
        return coerce_form_booleans(fields, booleans) if booleans else fields

    def body_as(self, model: type[ModelT], booleans: tuple[str, ...] = (), lists: tuple[str, ...] = ()) -> ModelT:
        """The body as `model`; `booleans` and `lists` name fields that form bodies can only send as text."""
        return validate(model, self.fields(booleans, lists))

    def page_request(self) -> PageRequest:
        raw_limit = self.query.get("limit")
        limit = DEFAULT_PAGE_SIZE
        if raw_limit is not None:
            if not re.fullmatch(r"[0-9]{1,3}", raw_limit.strip()) or not 1 <= int(raw_limit) <= MAX_PAGE_SIZE:
                raise ApiError(400, f"limit must be an integer between 1 and {MAX_PAGE_SIZE}")
            limit = int(raw_limit)
        starting_after = self.query.get("starting_after")
        ending_before = self.query.get("ending_before")
        if starting_after is not None and ending_before is not None:
            raise ApiError(400, "send at most one of starting_after and ending_before")
        for name, cursor in (("starting_after", starting_after), ("ending_before", ending_before)):
            if cursor is not None and not looks_like_id(cursor):
                raise ApiError(400, f"{name}: no object with id {cursor!r} in this list")
        return PageRequest(limit=limit, starting_after=starting_after, ending_before=ending_before)
