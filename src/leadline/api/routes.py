"""The v1 operation table: every operation of the seed spec, its handler, permission and rate bucket."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from leadline.api import account, events, integration_clients, milestones, reports, sites
from leadline.api.context import ApiContext
from leadline.api.openapi import serve_openapi
from leadline.api.operations import Operation, to_route
from leadline.api.permissions import Need
from leadline.api.rate_limits import Bucket

SITE = "/sites/{site_id}"
EVENT = SITE + "/events/{event_id}"
MILESTONE = SITE + "/milestones/{milestone_id}"
CLIENTS = "/integration_clients"
CLIENT = CLIENTS + "/{client_id}"

OPERATIONS: tuple[Operation, ...] = (
    Operation("getAccount", "GET", "/account", Need.ANY_KEY, account.get_account),
    Operation("listSites", "GET", "/sites", Need.LIST_SITES, sites.list_sites),
    Operation("createSite", "POST", "/sites", Need.FULL_ACCESS, sites.create_site),
    Operation("getSite", "GET", SITE, Need.READ_SITE, sites.get_site),
    Operation("updateSite", "POST", SITE, Need.MANAGE_SITE, sites.update_site),
    Operation("deleteSite", "DELETE", SITE, Need.FULL_ACCESS, sites.delete_site),
    # Retired (410 for anyone who can see the site): RECONCILE.md puts 401/404 first.
    Operation("wipeSiteData", "DELETE", SITE + "/data", Need.READ_SITE, sites.wipe_site_data),
    Operation("listEvents", "GET", SITE + "/events", Need.READ_SITE, events.list_events),
    Operation("createEvent", "POST", SITE + "/events", Need.MANAGE_SITE, events.create_event),
    Operation("getEvent", "GET", EVENT, Need.READ_SITE, events.get_event),
    Operation("updateEvent", "POST", EVENT, Need.MANAGE_SITE, events.update_event),
    Operation("deleteEvent", "DELETE", EVENT, Need.MANAGE_SITE, events.delete_event),
    Operation("wipeEventData", "DELETE", EVENT + "/data", Need.MANAGE_SITE, events.wipe_event_data),
    Operation("listMilestones", "GET", SITE + "/milestones", Need.READ_SITE, milestones.list_milestones),
    Operation("createMilestone", "POST", SITE + "/milestones", Need.MANAGE_SITE, milestones.create_milestone),
    Operation("getMilestone", "GET", MILESTONE, Need.READ_SITE, milestones.get_milestone),
    Operation("updateMilestone", "POST", MILESTONE, Need.MANAGE_SITE, milestones.update_milestone),
    Operation("deleteMilestone", "DELETE", MILESTONE, Need.MANAGE_SITE, milestones.delete_milestone),
    Operation("getAggregations", "GET", "/aggregations", Need.READ_SITE, reports.get_aggregations, Bucket.REPORTS),
    Operation(
        "getCurrentVisitors",
        "GET",
        "/current_visitors",
        Need.READ_SITE,
        reports.get_current_visitors,
        Bucket.REPORTS,
    ),
    # Leadline's own: integration clients are credentials, so only a `*` key (which could make any key) manages them.
    Operation("listIntegrationClients", "GET", CLIENTS, Need.FULL_ACCESS, integration_clients.list_integration_clients),
    Operation(
        "createIntegrationClient", "POST", CLIENTS, Need.FULL_ACCESS, integration_clients.create_integration_client
    ),
    Operation("getIntegrationClient", "GET", CLIENT, Need.FULL_ACCESS, integration_clients.get_integration_client),
    Operation(
        "rotateIntegrationClientSecret",
        "POST",
        CLIENT + "/rotate",
        Need.FULL_ACCESS,
        integration_clients.rotate_integration_client_secret,
    ),
    Operation(
        "revokeIntegrationClient", "DELETE", CLIENT, Need.FULL_ACCESS, integration_clients.revoke_integration_client
    ),
)


def api_routes(context: ApiContext) -> list[BaseRoute]:
    """The routes to mount at /v1."""
    return [
        Route("/openapi.json", serve_openapi, methods=["GET"], name="openapi"),
        *(to_route(operation, context) for operation in OPERATIONS),
    ]
