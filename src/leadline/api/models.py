"""Typed request bodies of the v1 API (strict: wrong types and unknown fields are 400s)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from leadline.collect.referrers import is_valid_hostname, strip_www
from leadline.publishing.datasets import DATASETS, check_dataset_names
from leadline.query.timezones import known_timezones


def _storable_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("must be valid Unicode text") from error
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _known_timezone(value: str) -> str:
    if value not in known_timezones():
        raise ValueError(f"{value!r} is not a TZ database name such as 'America/New_York' or 'UTC'")
    return value


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _calendar_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a calendar date") from error


Name = Annotated[str, StringConstraints(max_length=255), AfterValidator(_storable_text), AfterValidator(_not_blank)]
Label = Annotated[str, StringConstraints(max_length=255), AfterValidator(_storable_text)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_storable_text)]
Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_timezone)]
CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


def _known_datasets(names: list[str]) -> list[str]:
    # Unknown names are a 400 naming them and the known ones; duplicates collapse.
    return list(check_dataset_names(names))


def _hostname(value: str) -> str:
    """A site's hostname as hits are compared with it: lower case, IDNA-encoded, without "www." or a root dot."""
    name = value.strip().lower().removesuffix(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(f"{value!r} is not a hostname such as 'example.com'") from error
    if not is_valid_hostname(name):
        raise ValueError(f"{value!r} is not a hostname such as 'example.com'")
    return strip_www(name)


def _one_domain(names: list[str]) -> list[str]:
    # A single-domain site is bound to one hostname (its "www." twin included); a list leaves room for more.
    if len(set(names)) > 1:
        raise ValueError("a single-domain site has one hostname: send at most one (or [] to let the next hit set it)")
    return names[:1]


Domains = Annotated[
    list[Annotated[str, StringConstraints(max_length=253), AfterValidator(_hostname)]],
    Field(max_length=16),
    AfterValidator(_one_domain),
]
DatasetNames = Annotated[
    list[Annotated[str, StringConstraints(max_length=64)]], Field(min_length=1), AfterValidator(_known_datasets)
]
Sharing = Literal["none", "private", "public"]
MultiDomainOption = Literal["combined", "separate"]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    def changes(self) -> dict[str, object]:
        """Only the fields the client sent."""
        return self.model_dump(exclude_unset=True)


class SiteUpdate(StrictBody):
    name: Name = ""
    sharing: Sharing = "none"
    share_password: Password = ""
    timezone: Timezone = "UTC"
    multi_domain: bool = False
    multi_domain_option: MultiDomainOption = "combined"
    domains: Domains = Field(default_factory=list)

    def changes(self) -> dict[str, object]:
        """Only the fields the client sent; `domains` as the site's bound hostname (None: unbound)."""
        changes = super().changes()
        if "domains" in changes:
            domains = changes.pop("domains")
            changes["primary_hostname"] = domains[0] if isinstance(domains, list) and domains else None
        return changes


class SiteCreate(SiteUpdate):
    name: Name


class EventUpdate(StrictBody):
    name: Name = ""


class EventCreate(EventUpdate):
    name: Name


class MilestoneUpdate(StrictBody):
    name: Name = ""
    milestone_date: CalendarDate = date.min


class MilestoneCreate(MilestoneUpdate):
    name: Name
    milestone_date: CalendarDate


class IntegrationClientCreate(StrictBody):
    site_id: str
    name: Label = ""
    datasets: DatasetNames = Field(default_factory=lambda: list(DATASETS))


BOOLEAN_SITE_FIELDS = ("multi_domain",)
LIST_SITE_FIELDS = ("domains",)
# Form bodies carry lists as one comma-separated value.
LIST_INTEGRATION_CLIENT_FIELDS = ("datasets",)
