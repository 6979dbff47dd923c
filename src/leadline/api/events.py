"""`/v1/sites/{site_id}/events`: a site's events, and wiping one event's completions."""

from __future__ import annotations

from leadline.api.calls import ApiCall
from leadline.api.errors import ApiError
from leadline.api.models import EventCreate, EventUpdate
from leadline.api.serializers import JSONObject, deleted_json, event_json, list_json
from leadline.store.metadata.records import EventLimitError


def list_events(call: ApiCall) -> JSONObject:
    page = call.metadata.events.list_page(call.current_site.id, call.page_request())
    return list_json(call.path, page, event_json)


def create_event(call: ApiCall) -> JSONObject:
    body = call.body_as(EventCreate)
    try:
        event = call.metadata.events.create(call.current_site.id, body.name, call.context.max_events_per_site)
    except EventLimitError as error:
        raise ApiError(400, str(error)) from error
    return event_json(event)


def get_event(call: ApiCall) -> JSONObject:
    event_id = call.path_id("event_id", "event")
    return event_json(call.metadata.events.get(call.current_site.id, event_id))


def update_event(call: ApiCall) -> JSONObject:
    event_id = call.path_id("event_id", "event")
    events = call.metadata.events
    body = call.body_as(EventUpdate)
    if "name" not in body.changes():
        return event_json(events.get(call.current_site.id, event_id))
    renamed = events.rename(call.current_site.id, event_id, body.name)
    return event_json(renamed)


def delete_event(call: ApiCall) -> JSONObject:
    site_id, event_id = call.current_site.id, call.path_id("event_id", "event")
    call.metadata.events.get(site_id, event_id)
    call.event_store.delete_event_data(site_id, event_id)
    call.metadata.events.delete(site_id, event_id)
    return deleted_json("event", event_id)


def wipe_event_data(call: ApiCall) -> JSONObject:
    site_id, event_id = call.current_site.id, call.path_id("event_id", "event")
    call.metadata.events.get(site_id, event_id)
    call.event_store.delete_event_data(site_id, event_id)
    return {}
