"""`/v1/aggregations` and `/v1/current_visitors`: parameters checked here, numbers from the query layer."""

from __future__ import annotations

from leadline.api.calls import ApiCall
from leadline.api.errors import ApiError
from leadline.api.permissions import Need
from leadline.api.serializers import JSONObject
from leadline.metrics import report_timer
from leadline.query.current import current_visitors
from leadline.query.errors import ReportTimeoutError
from leadline.query.parse import QueryError, parse_entity, parse_report_query
from leadline.query.report import run_report

_TRUE, _FALSE = ("true", "1"), ("false", "0", "")
RETRY_AFTER_TIMEOUT_SECONDS = 30  # long enough for a burst of reports or a large flush to pass


def get_aggregations(call: ApiCall) -> JSONObject:
    limits = call.context.report_limits
    try:
        _, site_id, _ = parse_entity(call.query)
        site = call.require_site(site_id, Need.READ_SITE)
        query = parse_report_query(call.query, site.timezone, limits=limits)
        with report_timer():
            return {"data": run_report(query, call.event_store, call.metadata, limits=limits)}
    except QueryError as error:  # ReportTooLargeError too: the request asks for more than one answer may hold
        raise ApiError(400, str(error)) from error
    except ReportTimeoutError as error:
        # 503, not 400: the request is valid, and the same report may finish when the server is less busy.
        raise ApiError(503, str(error), {"Retry-After": str(RETRY_AFTER_TIMEOUT_SECONDS)}) from error


def get_current_visitors(call: ApiCall) -> JSONObject:
    site_id = call.query.get("site_id")
    if not site_id:
        raise ApiError(400, "site_id is required")
    detailed_text = call.query.get("detailed", "").strip().lower()
    if detailed_text not in _TRUE + _FALSE:
        raise ApiError(400, "detailed must be true or false")
    site = call.require_site(site_id, Need.READ_SITE)
    return current_visitors(call.event_store, site.id, detailed=detailed_text in _TRUE)
