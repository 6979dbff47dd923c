"""`/v1/sites`: list, create, get, update and delete sites; the retired wipe answers 410."""

from __future__ import annotations

from leadline.api.calls import ApiCall
from leadline.api.errors import ApiError
from leadline.api.models import BOOLEAN_SITE_FIELDS, LIST_SITE_FIELDS, SiteCreate, SiteUpdate
from leadline.api.serializers import JSONObject, deleted_json, list_json, site_json


def list_sites(call: ApiCall) -> JSONObject:
    page = call.metadata.sites.list_page(call.account_id, call.page_request())
    return list_json(call.path, page, site_json)


def create_site(call: ApiCall) -> JSONObject:
    body = call.body_as(SiteCreate, BOOLEAN_SITE_FIELDS, LIST_SITE_FIELDS)
    site = call.metadata.sites.create(call.account_id, body.changes(), default_timezone=call.account().timezone)
    return site_json(site)


def get_site(call: ApiCall) -> JSONObject:
    return site_json(call.current_site)


def update_site(call: ApiCall) -> JSONObject:
    body = call.body_as(SiteUpdate, BOOLEAN_SITE_FIELDS, LIST_SITE_FIELDS)
    site = call.metadata.sites.update(call.account_id, call.current_site.id, body.changes())
    return site_json(site)


def delete_site(call: ApiCall) -> JSONObject:
    site = call.current_site
    # Analytics data first: if that fails, the site is still there to retry the delete.
    call.event_store.delete_site_data(site.id)
    call.metadata.sites.delete(call.account_id, site.id)
    return deleted_json("site", site.id)


def wipe_site_data(call: ApiCall) -> JSONObject:
    raise ApiError(410, "this endpoint has been retired: a site's data can no longer be wiped through the API")
