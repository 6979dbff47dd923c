"""Typed, immutable records of the objects the Leadline API answers with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Account:
    id: str
    object: str
    name: str
    email: str
    timezone: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            id=str(data["id"]),
            object=str(data["object"]),
            name=str(data["name"]),
            email=str(data["email"]),
            timezone=str(data["timezone"]),
        )


@dataclass(frozen=True)
class Site:
    id: str
    object: str
    name: str
    sharing: str
    timezone: str
    multi_domain: bool
    multi_domain_option: str | None
    created_at: str  # UTC, "YYYY-MM-DD HH:MM:SS", as the API writes it

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Site:
        option = data.get("multi_domain_option")
        return cls(
            id=str(data["id"]),
            object=str(data["object"]),
            name=str(data["name"]),
            sharing=str(data["sharing"]),
            timezone=str(data["timezone"]),
            multi_domain=bool(data["multi_domain"]),
            multi_domain_option=None if option is None else str(option),
            created_at=str(data["created_at"]),
        )


@dataclass(frozen=True)
class Event:
    id: str
    object: str
    name: str
    site_id: str
    created_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Event:
        return cls(
            id=str(data["id"]),
            object=str(data["object"]),
            name=str(data["name"]),
            site_id=str(data["site_id"]),
            created_at=str(data["created_at"]),
        )


@dataclass(frozen=True)
class Milestone:
    id: str
    object: str
    name: str
    site_id: str
    milestone_date: str  # "YYYY-MM-DD"
    created_at: str
    updated_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Milestone:
        return cls(
            id=str(data["id"]),
            object=str(data["object"]),
            name=str(data["name"]),
            site_id=str(data["site_id"]),
            milestone_date=str(data["milestone_date"]),
            created_at=str(data["created_at"]),
            updated_at=str(data["updated_at"]),
        )


@dataclass(frozen=True)
class IntegrationClient:
    """An OAuth2 client of the Integration API; `client_secret` is set only in the answers to create and rotate."""

    id: str
    object: str
    client_id: str  # the same as id, under the name the token request uses
    name: str
    site_id: str
    datasets: tuple[str, ...]
    created_at: str
    revoked_at: str | None  # None while the client is active
    # Out of repr so a logged client does not leak its secret.
    client_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IntegrationClient:
        revoked_at, secret = data.get("revoked_at"), data.get("client_secret")
        return cls(
            id=str(data["id"]),
            object=str(data["object"]),
            client_id=str(data["client_id"]),
            name=str(data["name"]),
            site_id=str(data["site_id"]),
            datasets=tuple(str(name) for name in data["datasets"]),
            created_at=str(data["created_at"]),
            revoked_at=None if revoked_at is None else str(revoked_at),
            client_secret=None if secret is None else str(secret),
        )


@dataclass(frozen=True)
class Deleted:
    """The answer to a delete: which object is gone."""

    id: str
    object: str
    deleted: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Deleted:
        return cls(id=str(data["id"]), object=str(data["object"]), deleted=bool(data["deleted"]))


@dataclass(frozen=True)
class CurrentPage:
    pathname: str
    total: int


@dataclass(frozen=True)
class CurrentReferrer:
    referrer: str
    total: int


@dataclass(frozen=True)
class CurrentVisitors:
    """Visitors on a site right now; `content` and `referrers` are empty unless asked for in detail."""

    total: int
    content: tuple[CurrentPage, ...] = ()
    referrers: tuple[CurrentReferrer, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CurrentVisitors:
        return cls(
            total=int(data["total"]),
            content=tuple(CurrentPage(str(row["pathname"]), int(row["total"])) for row in data.get("content", [])),
            referrers=tuple(
                CurrentReferrer(str(row["referrer"]), int(row["total"])) for row in data.get("referrers", [])
            ),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list answer; pass the last item's id as `starting_after` for the next."""

    items: tuple[T, ...]
    has_more: bool

    @classmethod
    def parser(cls, item: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], Page[T]]:
        def parse(data: Any) -> Page[T]:
            return cls(items=tuple(item(row) for row in data["data"]), has_more=bool(data["has_more"]))

        return parse
