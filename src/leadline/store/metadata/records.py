"""Typed records the metadata repositories return, and the errors they raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


class NotFoundError(LookupError):
    """The object does not exist (or belongs to another account, which callers must not reveal)."""

    def __init__(self, object_type: str, object_id: str) -> None:
        super().__init__(f"{object_type} {object_id!r} not found")


class ConflictError(ValueError):
    """The change would break a uniqueness rule (e.g. two events of one site with the same name)."""


class EventLimitError(ValueError):
    """The site has as many events as it may have (`max_events_per_site`); no new one can be created."""

    def __init__(self, max_events: int) -> None:
        super().__init__(
            f"this site has reached its limit of {max_events} events: delete unused events before creating more"
        )


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    email: str
    timezone: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    account_id: str
    name: str
    permissions: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    account_id: str
    name: str
    sharing: str
    has_share_password: bool
    timezone: str
    multi_domain: bool
    multi_domain_option: str | None
    created_at: datetime
    updated_at: datetime
    primary_hostname: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    site_id: str
    name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Milestone:
    id: str
    site_id: str
    name: str
    milestone_date: date
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class IntegrationClient:
    """An OAuth2 client of an account, reading the named datasets of one of its sites."""

    id: str
    account_id: str
    site_id: str
    name: str
    datasets: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The public half of an account's signing key."""

    id: str
    account_id: str
    algorithm: str
    public_key: str  # raw 32 bytes, base64
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PublicationRecord:
    """A stored publication's facts, as signed; what they mean for a dataset is the publishing side's business."""

    id: str
    site_id: str
    dataset: str
    day: date
    timezone: str
    version: int
    supersedes_id: str | None
    branch_id: str
    row_count: int
    rows_sha256: str
    key_id: str
    signature_id: str
    signature: str
    signer_email: str
    timestamp_iso8601: str
    published_at: datetime
