"""Fuzzing GET /v1/aggregations from the served OpenAPI document (schemathesis): never a server error.

Schemathesis draws parameters that fit the document (positive) and that break it (negative); most requests
are pointed at a real site with hits, so they get past the site lookup into parsing, planning and the engine.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from leadline.api.openapi import openapi_document
from tests.fuzz.conftest import FuzzTarget

# Bounded: a few hundred requests, seconds on the live server. FUZZ_EXAMPLES=N runs a longer fuzz.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SCHEMA = schemathesis.openapi.from_dict(openapi_document())
# The key is the real one (authentication is tested elsewhere): the fuzzing is of the parameters.
SCHEMA.config.generation.update(with_security_parameters=False)
AGGREGATIONS = SCHEMA["/aggregations"]["GET"]
PAGES = ["/", "/pricing", "/café", "/docs/a b", "/(x)"]


@pytest.fixture(scope="module")
def reported(target: FuzzTarget) -> FuzzTarget:
    """The target site with a few pageviews and an event (stored once the spool flushes, within a second)."""
    for number, path in enumerate(PAGES):
        body = {"site": target.site_id, "url": f"https://shop.example{path}?utm_source=s{number}"}
        target.http.post("/api/event", json=body, headers={"User-Agent": f"Mozilla/5.0 Firefox/{100 + number}"})
    event_body = {"site": target.site_id, "url": "https://shop.example/", "name": "Signup", "value": 500}
    target.http.post("/api/event", json=event_body, headers={"User-Agent": "Mozilla/5.0 Firefox/99"})
    return target


# Values near the edges the bounds care about, mixed into otherwise valid requests.
EDGY = {
    "date_from": st.integers(0, 2**45).map(str)
    | st.sampled_from(
        ["0", "0001-01-01 00:00:00", "1970-01-01 00:00:00", "2026-03-08 02:30:00", "9999-12-31 23:59:59"]
    ),
    "date_to": st.integers(0, 2**45).map(str)
    | st.sampled_from(["253402300799", "2999-12-31 23:59:59", "2026-11-01 01:30:00", "1969-12-31 23:59:59"]),
    "timezone": st.sampled_from(["UTC", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Etc/GMT+12"]),
    "date_grouping": st.sampled_from(["hour", "day", "month", "year"]),
    "field_grouping": st.sampled_from(["pathname", "utm_source", "browser", "referrer_hostname"]),
    "limit": st.integers(-1, 20_000).map(str) | st.sampled_from(["1", "10000", "10001", "5\x1f", " 3 "]),
    "sort_by": st.sampled_from(["pageviews:desc", "date:asc", "pathname:asc", "visits:desc,pageviews:asc"]),
}


@st.composite
def aimed_queries(draw: st.DrawFn, case: schemathesis.Case[Any], site_id: str) -> dict[str, object]:
    """A valid pageview report on the site, with a few parameters taken from the fuzzed case or the edges."""
    query: dict[str, object] = {
        "entity": "pageview",
        "entity_id": site_id,
        "aggregates": ",".join(
            draw(
                st.lists(
                    st.sampled_from(["visits", "uniques", "pageviews", "avg_duration", "bounce_rate"]),
                    min_size=1,
                    unique=True,
                )
            )
        ),
    }
    fuzzed = dict(case.query) if isinstance(case.query, dict) else {}
    for name in draw(st.lists(st.sampled_from(sorted(EDGY)), max_size=4, unique=True)):
        query[name] = draw(EDGY[name])
    for name in draw(st.lists(st.sampled_from(sorted(fuzzed)), max_size=2, unique=True)) if fuzzed else []:
        if name not in ("entity", "entity_id", "site_id"):
            query[name] = fuzzed[name]
    return query


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_aggregations_never_answer_a_server_error(reported: FuzzTarget, mode: GenerationMode) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=AGGREGATIONS.as_strategy(generation_mode=mode), data=st.data())
    def check(case: schemathesis.Case[Any], data: st.DataObject) -> None:
        if data.draw(st.integers(0, 9), label="aim") < 8:  # most requests reach the engine
            case.query = data.draw(aimed_queries(case, reported.site_id), label="query")
        answer = case.call(base_url=reported.server.url("/v1"), headers=reported.authorized(), timeout=30)
        event(f"status {answer.status_code}")
        assert answer.status_code < 500, (answer.status_code, answer.text, case.query)
        assert answer.status_code != 401, "the real key must be sent"
        assert set(answer.json()) <= {"data", "error"}

    check()
