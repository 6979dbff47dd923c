"""Typed, immutable records of the objects the Leadline REST API answers with, read by pydantic."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ApiModel(BaseModel):
    """An answer object: immutable, built from the JSON names or the Python ones, extra keys ignored.

    `coerce_numbers_to_str` keeps the SDK as lenient as the API's evolution may need: an id that a future
    server sends as a number still reads as the text it stands for.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, coerce_numbers_to_str=True)


class Account(ApiModel):
    id: str
    object: str
    name: str
    email: str
    timezone: str


class Site(ApiModel):
    id: str
    object: str
    name: str
    sharing: str
    timezone: str
    multi_domain: bool
    multi_domain_option: str | None = None
    # The hostname a single-domain site accepts hits from; empty until set or bound by an accepted hit.
    domains: tuple[str, ...] = ()
    created_at: str  # UTC, "YYYY-MM-DD HH:MM:SS", as the API writes it


class Event(ApiModel):
    id: str
    object: str
    name: str
    site_id: str
    created_at: str


class Milestone(ApiModel):
    id: str
    object: str
    name: str
    site_id: str
    milestone_date: str  # "YYYY-MM-DD"
    created_at: str
    updated_at: str


class IntegrationClient(ApiModel):
    """An OAuth2 client of the Integration API; `client_secret` is set only in the answers to create and rotate."""

    id: str
    object: str
    client_id: str  # the same as id, under the name the token request uses
    name: str
    site_id: str
    datasets: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None  # None while the client is active
    # Out of repr so a logged client does not leak its secret.
    client_secret: str | None = Field(default=None, repr=False)


class Deleted(ApiModel):
    """The answer to a delete: which object is gone."""

    id: str
    object: str
    deleted: bool


class CurrentPage(ApiModel):
    pathname: str
    total: int


class CurrentReferrer(ApiModel):
    referrer: str
    total: int


class CurrentVisitors(ApiModel):
    """Visitors on a site right now; `content` and `referrers` are empty unless asked for in detail."""

    total: int
    content: tuple[CurrentPage, ...] = ()
    referrers: tuple[CurrentReferrer, ...] = ()


class Page(ApiModel, Generic[T]):
    """One page of a list answer; pass the last item's id as `starting_after` for the next."""

    items: tuple[T, ...] = Field(alias="data")
    has_more: bool
