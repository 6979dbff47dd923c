"""A site's settings page `/sites/{id}/settings` and the forms on it: general settings, events, milestones,
API keys, deleting the site.

Every change goes through the REST API's body models (`api.models`, `api.bodies.validate`) and the same
repositories, so the rules and error messages are the API's. A refused change re-renders the page with the
message next to its form and the input kept (400); an accepted one redirects back with a flash message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import RedirectResponse, Response

from leadline.api.bodies import validate
from leadline.api.errors import ApiError
from leadline.api.models import EventUpdate, MilestoneCreate, MilestoneUpdate, SiteUpdate
from leadline.api.permissions import ALL_SITES_READONLY, FULL_ACCESS, parse_permission
from leadline.api.serializers import site_json
from leadline.dashboard.calls import DashboardCall
from leadline.dashboard.cookies import set_flash
from leadline.dashboard.layout import render_page
from leadline.query.timezones import known_timezones
from leadline.store.metadata.pagination import PageRequest
from leadline.store.metadata.records import ConflictError, NotFoundError, Site
from leadline.store.metadata.sites import InvalidSiteSettingsError

MILESTONES_SHOWN = 100
KEY_NAME_LENGTH = 255


class FormRefused(Exception):
    """A form's input the API's rules refuse: shown next to `section`'s form."""

    def __init__(self, section: str, message: str) -> None:
        super().__init__(message)
        self.section = section
        self.message = message


def _checked(section: str, action: Callable[[], Any]) -> Any:
    """Run `action`, turning the API's refusals into a FormRefused for `section`."""
    try:
        return action()
    except ApiError as error:
        raise FormRefused(section, error.message) from error
    except (ConflictError, InvalidSiteSettingsError, ValueError) as error:
        raise FormRefused(section, str(error)) from error


def base_url(call: DashboardCall) -> str:
    return call.context.settings.base_url or str(call.request.base_url).rstrip("/")


def tracking_snippet(call: DashboardCall, site: Site) -> str:
    return f'<script src="{base_url(call).rstrip("/")}/script.js" data-site="{site.id}" defer></script>'


def key_scopes(site: Site) -> list[tuple[str, str]]:
    """The permissions a key made here may have (those the REST API knows), as (value, label)."""
    return [
        (f"read:{site.id}", f"Read {site.name}"),
        (f"manage:{site.id}", f"Manage {site.name}"),
        (ALL_SITES_READONLY, "Read all sites"),
        (FULL_ACCESS, "Full access to the account"),
    ]


def settings_page(
    call: DashboardCall,
    site: Site | None = None,
    *,
    errors: dict[str, str] | None = None,
    kept: dict[str, str] | None = None,
    new_key: str | None = None,
    status: int = 200,
) -> Response:
    site = site or call.owned_site(call.request.path_params["site_id"])
    metadata = call.context.metadata
    milestones = metadata.milestones.list_page(site.id, PageRequest(limit=MILESTONES_SHOWN)).items
    values: dict[str, object] = {
        "site": site,
        "site_object": site_json(site),
        "current_site": site,
        "events": metadata.events.list_all(site.id),
        "milestones": sorted(milestones, key=lambda item: item.milestone_date),
        "keys": [key for key in metadata.api_keys.list_for_account(call.owner.id) if key.revoked_at is None],
        "scopes": key_scopes(site),
        "timezones": sorted(known_timezones()),
        "snippet": tracking_snippet(call, site),
        "share_url": f"{base_url(call)}/share/{site.id}",
        "errors": errors or {},
        "kept": kept or {},
        "new_key": new_key,
    }
    return render_page(call, "settings.html", values, status)


def _done(call: DashboardCall, site_id: str, message: str, anchor: str = "") -> Response:
    response = RedirectResponse(f"/sites/{site_id}/settings{anchor}", status_code=303)
    set_flash(call.signer, call.request, response, message)
    return response


def _refused(call: DashboardCall, site: Site, refusal: FormRefused) -> Response:
    return settings_page(call, site, errors={refusal.section: refusal.message}, kept=call.form, status=400)


def general_changes(form: dict[str, str]) -> dict[str, Any]:
    """The general form as an API body: an empty password keeps the current one; the option only with multi-domain."""
    multi_domain = form.get("multi_domain") == "true"
    fields: dict[str, Any] = {
        "name": form.get("name", ""),
        "timezone": form.get("timezone", ""),
        "sharing": form.get("sharing", ""),
        "multi_domain": multi_domain,
    }
    if form.get("share_password"):
        fields["share_password"] = form["share_password"]
    if multi_domain:
        fields["multi_domain_option"] = form.get("multi_domain_option", "")
    # Only a domain the owner changed is sent: a form saved for another reason must not undo a binding
    # that an accepted hit made while the page was open.
    domain = form.get("domains", "").strip()
    if not multi_domain and domain != form.get("domains_shown", "").strip():
        fields["domains"] = [domain] if domain else []
    return fields


def update_general(call: DashboardCall) -> Response:
    site = call.owned_site(call.request.path_params["site_id"])
    sites = call.context.metadata.sites
    try:
        body = _checked("general", lambda: validate(SiteUpdate, general_changes(call.form)))
        updated = _checked("general", lambda: sites.update(call.owner.id, site.id, body.changes()))
    except FormRefused as refusal:
        return _refused(call, site, refusal)
    return _done(call, updated.id, "Saved the site's settings.")


def delete_site(call: DashboardCall) -> Response:
    site = call.owned_site(call.request.path_params["site_id"])
    if call.form.get("confirm_name", "") != site.name:
        refusal = FormRefused("delete", "type the site's name exactly to confirm deleting it")
        return _refused(call, site, refusal)
    # Analytics data first, as the API does: if that fails, the site is still there to retry the delete.
    call.context.event_store.delete_site_data(site.id)
    call.context.metadata.sites.delete(call.owner.id, site.id)
    response = RedirectResponse("/sites", status_code=303)
    set_flash(call.signer, call.request, response, f"Deleted {site.name} and all its data.")
    return response


def event_action(call: DashboardCall) -> Response:
    site = call.owned_site(call.request.path_params["site_id"])
    params = call.request.path_params
    events = call.context.metadata.events
    event = events.get(site.id, params["event_id"])
    action = params["action"]
    if action not in ("rename", "wipe", "delete"):
        raise NotFoundError("page", action)
    if action == "rename":
        try:
            body = _checked(f"event-{event.id}", lambda: validate(EventUpdate, {"name": call.form.get("name", "")}))
            _checked(f"event-{event.id}", lambda: events.rename(site.id, event.id, body.name))
        except FormRefused as refusal:
            return _refused(call, site, refusal)
        return _done(call, site.id, f"Renamed {event.name} to {body.name}.", "#events")
    if action == "wipe":
        call.context.event_store.delete_event_data(site.id, event.id)
        return _done(call, site.id, f"Wiped the completions of {event.name}.", "#events")
    call.context.event_store.delete_event_data(site.id, event.id)
    events.delete(site.id, event.id)
    return _done(call, site.id, f"Deleted {event.name}.", "#events")


def _filled(form: dict[str, str], *names: str) -> dict[str, str]:
    """The named fields the person filled in: an empty date is "not given" (the API's "is required")."""
    return {name: form[name] for name in names if form.get(name, "") != ""}


def add_milestone(call: DashboardCall) -> Response:
    site = call.owned_site(call.request.path_params["site_id"])
    fields = _filled(call.form, "name", "milestone_date")
    milestones = call.context.metadata.milestones
    try:
        body = _checked("milestone-new", lambda: validate(MilestoneCreate, fields))
        _checked("milestone-new", lambda: milestones.create(site.id, body.name, body.milestone_date))
    except FormRefused as refusal:
        return _refused(call, site, refusal)
    return _done(call, site.id, f"Added the milestone {body.name}.", "#milestones")


def milestone_action(call: DashboardCall) -> Response:
    site = call.owned_site(call.request.path_params["site_id"])
    milestones = call.context.metadata.milestones
    milestone = milestones.get(site.id, call.request.path_params["milestone_id"])
    action = call.request.path_params["action"]
    if action not in ("edit", "delete"):
        raise NotFoundError("page", action)
    if action == "delete":
        milestones.delete(site.id, milestone.id)
        return _done(call, site.id, f"Deleted the milestone {milestone.name}.", "#milestones")
    fields = _filled(call.form, "name", "milestone_date")
    section = f"milestone-{milestone.id}"
    try:
        body = _checked(section, lambda: validate(MilestoneUpdate, fields))
        _checked(section, lambda: milestones.update(site.id, milestone.id, body.changes()))
    except FormRefused as refusal:
        return _refused(call, site, refusal)
    return _done(call, site.id, f"Saved the milestone {body.name}.", "#milestones")


def create_key(call: DashboardCall) -> Response:
    """A new API key, shown on this answer only: it is not redirected to, so the key is never kept anywhere."""
    site = call.owned_site(call.request.path_params["site_id"])
    name = call.form.get("name", "").strip()
    scope = call.form.get("scope", "")
    try:
        if len(name) > KEY_NAME_LENGTH:
            raise FormRefused("keys", f"name: string should have at most {KEY_NAME_LENGTH} characters")
        if scope not in {value for value, _ in key_scopes(site)}:
            raise FormRefused("keys", "scope: choose one of the listed permissions")
        grant = _checked("keys", lambda: parse_permission(scope))
    except FormRefused as refusal:
        return _refused(call, site, refusal)
    issued = call.context.metadata.api_keys.create(call.owner.id, [str(grant)], name=name)
    return settings_page(call, site, new_key=issued.key)


def revoke_key(call: DashboardCall) -> Response:
    site = call.owned_site(call.request.path_params["site_id"])
    key_id = call.request.path_params["key_id"]
    api_keys = call.context.metadata.api_keys
    mine = {key.id: key for key in api_keys.list_for_account(call.owner.id)}
    if key_id not in mine:  # another account's key is as absent as a missing one
        return settings_page(call, site, errors={"keys": "no such API key"}, status=404)
    api_keys.revoke(key_id)
    return _done(call, site.id, f"Revoked the key {mine[key_id].name or key_id}.", "#keys")
