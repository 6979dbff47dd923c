"""API key permissions, declared once: what each grant allows (RECONCILE.md's permission table)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from leadline.store.ids import looks_like_id

FULL_ACCESS = "*"
ALL_SITES_READONLY = "all-sites-readonly"
SITE_GRANT_KINDS = ("read", "manage")
PERMISSION_FORMS = f"{FULL_ACCESS!r}, {ALL_SITES_READONLY!r}, 'read:SITE_ID' or 'manage:SITE_ID'"


class Need(Enum):
    """What an operation requires of the calling key."""

    ANY_KEY = "any valid key"
    LIST_SITES = "read access to all sites"
    READ_SITE = "read access to the site"
    MANAGE_SITE = "write access to the site"
    FULL_ACCESS = "full account access"


@dataclass(frozen=True, slots=True)
class Grant:
    kind: str  # "*", "all-sites-readonly", "read" or "manage"
    site_id: str | None = None

    def __str__(self) -> str:
        return self.kind if self.site_id is None else f"{self.kind}:{self.site_id}"


def parse_permission(text: str) -> Grant:
    """A grant from its written form; ValueError with a readable message otherwise."""
    if text in (FULL_ACCESS, ALL_SITES_READONLY):
        return Grant(text)
    kind, separator, site_id = text.partition(":")
    if separator and kind in SITE_GRANT_KINDS and looks_like_id(site_id):
        return Grant(kind, site_id)
    raise ValueError(f"invalid permission {text!r}: expected {PERMISSION_FORMS}")


def allows(grants: Iterable[Grant], need: Need, site_id: str | None = None) -> bool:
    """Whether a key holding `grants` may do something that needs `need` (on `site_id`)."""
    if need is Need.ANY_KEY:
        return True
    for grant in grants:
        if grant.kind == FULL_ACCESS:
            return True
        if grant.kind == ALL_SITES_READONLY and need in (Need.LIST_SITES, Need.READ_SITE):
            return True
        on_this_site = grant.site_id is not None and grant.site_id == site_id
        if on_this_site and (need is Need.READ_SITE or (need is Need.MANAGE_SITE and grant.kind == "manage")):
            return True
    return False
