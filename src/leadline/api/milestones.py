"""`/v1/sites/{site_id}/milestones`: dated notes on a site's timeline."""

from __future__ import annotations

from leadline.api.calls import ApiCall
from leadline.api.models import MilestoneCreate, MilestoneUpdate
from leadline.api.serializers import JSONObject, deleted_json, list_json, milestone_json


def list_milestones(call: ApiCall) -> JSONObject:
    page = call.metadata.milestones.list_page(call.current_site.id, call.page_request())
    return list_json(call.path, page, milestone_json)


def create_milestone(call: ApiCall) -> JSONObject:
    body = call.body_as(MilestoneCreate)
    milestone = call.metadata.milestones.create(call.current_site.id, body.name, body.milestone_date)
    return milestone_json(milestone)


def get_milestone(call: ApiCall) -> JSONObject:
    milestone_id = call.path_id("milestone_id", "milestone")
    return milestone_json(call.metadata.milestones.get(call.current_site.id, milestone_id))


def update_milestone(call: ApiCall) -> JSONObject:
    milestone_id = call.path_id("milestone_id", "milestone")
    body = call.body_as(MilestoneUpdate)
    milestone = call.metadata.milestones.update(call.current_site.id, milestone_id, body.changes())
    return milestone_json(milestone)


def delete_milestone(call: ApiCall) -> JSONObject:
    milestone_id = call.path_id("milestone_id", "milestone")
    call.metadata.milestones.delete(call.current_site.id, milestone_id)
    return deleted_json("milestone", milestone_id)
