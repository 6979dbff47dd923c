"""Sites: what a tracking script reports to, with sharing, timezone, multi-domain settings and hostname binding."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from leadline.store.ids import new_id
from leadline.store.metadata.changes import SiteChanges
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import Page, PageRequest, fetch_all, fetch_page
from leadline.store.metadata.records import Site
from leadline.store.metadata.rows import find_one, get_one, reader
from leadline.store.metadata.share_passwords import (
    hash_share_password,
    verify_share_password,
    verify_share_password_digest,
)
from leadline.store.metadata.tables import events, milestones, sites

SHARING_OPTIONS = ("none", "private", "public")
MULTI_DOMAIN_OPTIONS = ("combined", "separate")


class InvalidSiteSettingsError(ValueError):
    """A combination of site settings that cannot be stored (the message is fit for API users)."""


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """The editable part of a site; `share_password` is the new password in clear, if one is being set."""

    name: str
    sharing: str = "none"
    timezone: str = "UTC"
    multi_domain: bool = False
    multi_domain_option: str | None = None
    share_password: str | None = None
    has_share_password: bool = False
    # The one hostname a single-domain site accepts hits from (without "www."); None until one is set or
    # an accepted hit binds it.
    primary_hostname: str | None = None


def apply_site_changes(current: SiteSettings, changes: Mapping[str, Any]) -> SiteSettings:
    """The settings after `changes`, checked as a whole (rules that span fields live here, once)."""
    merged = replace(current, **changes)
    if "share_password" in changes:
        merged = replace(merged, has_share_password=True)
    if merged.sharing != "private":
        if "share_password" in changes:
            raise InvalidSiteSettingsError("share_password can only be set when sharing is private")
        # A password only guards a private share; leaving private forgets it.
        merged = replace(merged, has_share_password=False)
    elif not merged.has_share_password:
        raise InvalidSiteSettingsError("share_password is required when sharing is private")
    if merged.multi_domain:
        if merged.multi_domain_option is None:
            raise InvalidSiteSettingsError("multi_domain_option is required when multi_domain is true")
    elif "multi_domain_option" in changes and changes["multi_domain_option"] is not None:
        raise InvalidSiteSettingsError("multi_domain_option can only be set when multi_domain is true")
    else:
        merged = replace(merged, multi_domain_option=None)
    if merged.multi_domain:
        if changes.get("primary_hostname") is not None:
            raise InvalidSiteSettingsError("domains can only be set when multi_domain is false")
        # Every hostname reports to a multi-domain site; going back to one domain binds afresh.
        merged = replace(merged, primary_hostname=None)
    return merged


# The hash itself never leaves the store: a site record only tells whether there is one.
_to_site = reader(Site, has_share_password=lambda row: row["share_password_hash"] is not None)


def _settings_of(site: Site) -> SiteSettings:
    return SiteSettings(
        name=site.name,
        sharing=site.sharing,
        timezone=site.timezone,
        multi_domain=site.multi_domain,
        multi_domain_option=site.multi_domain_option,
        has_share_password=site.has_share_password,
        primary_hostname=site.primary_hostname,
    )


def _stored_columns(settings: SiteSettings) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "name": settings.name,
        "sharing": settings.sharing,
        "timezone": settings.timezone,
        "multi_domain": settings.multi_domain,
        "multi_domain_option": settings.multi_domain_option,
        "primary_hostname": settings.primary_hostname,
    }
    if settings.share_password is not None:
        columns["share_password_hash"] = hash_share_password(settings.share_password)
    elif not settings.has_share_password:
        columns["share_password_hash"] = None
    return columns


class SiteRepository:
    def __init__(self, engine: Engine, changes: SiteChanges) -> None:
        self._engine = engine
        self._changes = changes

    def create(self, account_id: str, changes: Mapping[str, Any], default_timezone: str = "UTC") -> Site:
        """A new site from `changes` (which must hold `name`) over the defaults."""
        if "name" not in changes:
            raise InvalidSiteSettingsError("name is required")
        checked = apply_site_changes(SiteSettings(name="", timezone=default_timezone), changes)
        now = utc_now()
        site_id = new_id()
        with self._engine.begin() as connection:
            connection.execute(
                insert(sites).values(
                    id=site_id,
                    account_id=account_id,
                    created_at=now,
                    updated_at=now,
                    **_stored_columns(checked),
                )
            )
            return self._get(connection, account_id, site_id)

    def get(self, account_id: str, site_id: str) -> Site:
        with self._engine.connect() as connection:
            return self._get(connection, account_id, site_id)

    def find(self, site_id: str) -> Site | None:
        """A site of any account (for the collector and operators), or None."""
        with self._engine.connect() as connection:
            return find_one(connection, _to_site, select(sites).where(sites.c.id == site_id))

    def list_page(self, account_id: str, request: PageRequest) -> Page[Site]:
        with self._engine.connect() as connection:
            return fetch_page(connection, sites, sites.c.account_id == account_id, request, _to_site)

    def list_all(self, account_id: str | None = None) -> list[Site]:
        scope = [] if account_id is None else [sites.c.account_id == account_id]
        with self._engine.connect() as connection:
            return fetch_all(connection, sites, _to_site, *scope)

    def update(self, account_id: str, site_id: str, changes: Mapping[str, Any]) -> Site:
        with self._engine.begin() as connection:
            current = self._get(connection, account_id, site_id)
            checked = apply_site_changes(_settings_of(current), changes)
            columns = _stored_columns(checked)
            if checked.primary_hostname == current.primary_hostname:
                # Unchanged: leave it to a hit that binds the site meanwhile instead of writing back what was read.
                del columns["primary_hostname"]
            connection.execute(update(sites).where(sites.c.id == site_id).values(updated_at=utc_now(), **columns))
            updated = self._get(connection, account_id, site_id)
        self._changes.site_changed(site_id)
        return updated

    def delete(self, account_id: str, site_id: str) -> None:
        """Delete a site with its events and milestones (its hits live in the event store)."""
        with self._engine.begin() as connection:
            self._get(connection, account_id, site_id)
            connection.execute(delete(events).where(events.c.site_id == site_id))
            connection.execute(delete(milestones).where(milestones.c.site_id == site_id))
            connection.execute(delete(sites).where(sites.c.id == site_id))
        self._changes.site_changed(site_id)

    def claim_primary_hostname(self, site_id: str, hostname: str) -> str | None:
        """Bind a site to `hostname` unless it is bound already; the hostname it is bound to (None if gone).

        One conditional UPDATE: of two hits racing to bind a site, exactly one wins and the other learns
        the winner's hostname. The collector calls this only for hits it accepts.
        """
        with self._engine.begin() as connection:
            claimed = connection.execute(
                update(sites)
                .where(sites.c.id == site_id, sites.c.primary_hostname.is_(None))
                .values(primary_hostname=hostname)
            ).rowcount
            bound: str | None = connection.execute(
                select(sites.c.primary_hostname).where(sites.c.id == site_id)
            ).scalar_one_or_none()
        if claimed:
            self._changes.site_changed(site_id)
        return bound

    def check_share_password(self, site_id: str, password: str) -> bool:
        with self._engine.connect() as connection:
            stored = connection.execute(
                select(sites.c.share_password_hash).where(sites.c.id == site_id)
            ).scalar_one_or_none()
        return stored is not None and verify_share_password(stored, password)

    def check_share_password_digest(self, site_id: str, digest: str) -> bool:
        """Whether `digest` is the SHA-256 hex of the site's share password (a share link's `?password=`)."""
        with self._engine.connect() as connection:
            stored = connection.execute(
                select(sites.c.share_password_hash).where(sites.c.id == site_id)
            ).scalar_one_or_none()
        return stored is not None and verify_share_password_digest(stored, digest)

    def share_password_stamp(self, site_id: str) -> str | None:
        """A short digest of the site's share password hash (None without one).

        A private share's admission cookie carries it, so a new password shuts out whoever knew the old one.
        """
        with self._engine.connect() as connection:
            stored = connection.execute(
                select(sites.c.share_password_hash).where(sites.c.id == site_id)
            ).scalar_one_or_none()
        return None if stored is None else hashlib.sha256(stored.encode()).hexdigest()[:16]

    @staticmethod
    def _get(connection: Connection, account_id: str, site_id: str) -> Site:
        query = select(sites).where(sites.c.id == site_id, sites.c.account_id == account_id)
        return get_one(connection, _to_site, query, "site", site_id)
