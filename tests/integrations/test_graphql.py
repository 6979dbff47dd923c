"""POST /api/integrations: bearer tokens, batched GraphQL in order, the two seed queries, limits."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from leadline.publishing.datasets import DATASETS
from tests.integrations.conftest import Credentials, get_token, new_credentials
from tests.integrations.test_graphql_limits import doubling_fragments
from tests.live_server import LiveServer

METADATA_QUERY = """
query {
  listSubscribedDatasetMetadata { id datasetName datasetColumns { id columnName valueType } }
}
"""
EVENTS_QUERY = """
query RecentEvents($days: Int!) {
  recentPublicationEvents(lastNDays: $days) {
    __typename id signerEmail signatureId datasetId branchId timestampIso8601
  }
}
"""


def post(server: LiveServer, token: str, body: object) -> httpx.Response:
    return httpx.post(server.url("/api/integrations"), json=body, headers={"Authorization": f"Bearer {token}"})


def answers(server: LiveServer, token: str, body: list[Any]) -> list[dict[str, Any]]:
    response = post(server, token, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert isinstance(result, list)
    return result


@pytest.fixture
def token(integration_server: LiveServer, credentials: Credentials) -> str:
    return get_token(integration_server, credentials)


def test_a_batch_is_answered_in_the_same_order(integration_server: LiveServer, token: str) -> None:
    batch = [
        {"query": EVENTS_QUERY, "variables": {"days": 7}},
        {"query": METADATA_QUERY},
        {"query": "{ __typename }"},
        {"query": EVENTS_QUERY, "variables": {"days": 30}, "operationName": "RecentEvents"},
    ]
    result = answers(integration_server, token, batch)
    assert [sorted(answer["data"]) for answer in result] == [
        ["recentPublicationEvents"],
        ["listSubscribedDatasetMetadata"],
        ["__typename"],
        ["recentPublicationEvents"],
    ]


def test_a_single_object_is_answered_with_a_single_object(integration_server: LiveServer, token: str) -> None:
    response = post(integration_server, token, {"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def test_subscribed_dataset_metadata_describes_every_subscribed_dataset_with_typed_columns(
    integration_server: LiveServer,
) -> None:
    credentials = new_credentials(integration_server, "daily_events", "daily_pages")
    token = get_token(integration_server, credentials)
    [answer] = answers(integration_server, token, [{"query": METADATA_QUERY}])
    datasets = answer["data"]["listSubscribedDatasetMetadata"]
    assert [dataset["datasetName"] for dataset in datasets] == ["daily_events", "daily_pages"]
    site_id = credentials.site.id
    assert [dataset["id"] for dataset in datasets] == [f"{site_id}.daily_events", f"{site_id}.daily_pages"]
    events = datasets[0]["datasetColumns"]
    assert [(c["columnName"], c["valueType"]) for c in events] == [
        ("date", "DATE"),
        ("event", "STRING"),
        ("conversions", "INT"),
        ("unique_conversions", "INT"),
        ("value", "INT"),
    ]
    assert len({column["id"] for dataset in datasets for column in dataset["datasetColumns"]}) == len(
        DATASETS["daily_events"].columns
    ) + len(DATASETS["daily_pages"].columns)
    pages = {c["columnName"]: c["valueType"] for c in datasets[1]["datasetColumns"]}
    assert pages["avg_duration"] == "FLOAT" and pages["bounce_rate"] == "FLOAT" and pages["pathname"] == "STRING"


def test_a_client_created_without_datasets_is_subscribed_to_all(integration_server: LiveServer, token: str) -> None:
    [answer] = answers(integration_server, token, [{"query": METADATA_QUERY}])
    assert [d["datasetName"] for d in answer["data"]["listSubscribedDatasetMetadata"]] == list(DATASETS)


def test_recent_publication_events_are_empty_while_nothing_is_published(
    integration_server: LiveServer, token: str
) -> None:
    [answer] = answers(integration_server, token, [{"query": EVENTS_QUERY, "variables": {"days": 7}}])
    assert answer == {"data": {"recentPublicationEvents": []}}


def test_graphql_errors_come_back_inside_a_200_next_to_good_answers(integration_server: LiveServer, token: str) -> None:
    batch = [
        {"query": "{ noSuchField }"},
        {"query": "query {"},
        {"query": EVENTS_QUERY, "variables": {"days": -1}},
        {"query": EVENTS_QUERY},
        {"variables": {}},
        {"query": "{ __typename }"},
    ]
    result = answers(integration_server, token, batch)
    for answer in result[:5]:
        assert answer["errors"] and all(isinstance(error["message"], str) for error in answer["errors"])
    assert result[5] == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer llt_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer ll_ABCDEFGHJK_apikey"],
)
def test_requests_without_a_valid_access_token_are_401(
    integration_server: LiveServer, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.post(
        integration_server.url("/api/integrations"), json=[{"query": "{ __typename }"}], headers=headers
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert isinstance(response.json()["errors"][0]["message"], str)


def test_batches_of_more_than_twenty_operations_are_refused(integration_server: LiveServer, token: str) -> None:
    assert len(answers(integration_server, token, [{"query": "{ __typename }"}] * 20)) == 20
    response = post(integration_server, token, [{"query": "{ __typename }"}] * 21)
    assert response.status_code == 400
    assert "errors" in response.json()


def test_queries_nested_more_than_ten_levels_are_refused(integration_server: LiveServer, token: str) -> None:
    deep = "{ recentPublicationEvents(lastNDays: 1) " + "{ columns " * 10 + "{ id }" + " }" * 11
    [answer] = answers(integration_server, token, [{"query": deep}])
    assert "more than 10 levels" in answer["errors"][0]["message"] and "data" not in answer


def test_introspection_may_nest_twenty_levels_so_the_standard_introspection_query_works(
    integration_server: LiveServer, token: str
) -> None:
    [full] = answers(integration_server, token, [{"query": get_introspection_query()}])
    assert "errors" not in full
    assert "publicationRows" in {
        field["name"] for field in full["data"]["__schema"]["types"][0]["fields"] or []
    } or any(t["name"] == "RowPage" for t in full["data"]["__schema"]["types"])
    deeper = "{ __schema { types { fields { type " + "{ ofType " * 17 + "{ name }" + " }" * 21
    [answer] = answers(integration_server, token, [{"query": deeper}])
    assert "more than 20 levels" in answer["errors"][0]["message"]


def test_costly_queries_are_refused_before_they_run(integration_server: LiveServer, token: str) -> None:
    aliases = " ".join(f"a{n}: recentPublicationEvents(lastNDays: 30) {{ id }}" for n in range(12))
    [answer] = answers(integration_server, token, [{"query": "{ " + aliases + " }"}])
    assert "costs" in answer["errors"][0]["message"] and "data" not in answer


def test_thirty_levels_of_doubled_fragment_spreads_are_refused_at_once_and_the_server_keeps_answering(
    integration_server: LiveServer, token: str
) -> None:
    started = time.perf_counter()
    [refused] = answers(integration_server, token, [{"query": doubling_fragments(30)}])
    elapsed = time.perf_counter() - started
    assert "costs" in refused["errors"][0]["message"] and "data" not in refused
    # Expanding each spread took hours; what is left is a token check and one HTTP round trip.
    assert elapsed < 1.0, f"answered in {elapsed * 1000:.0f} ms"
    assert answers(integration_server, token, [{"query": "{ __typename }"}]) == [{"data": {"__typename": "Query"}}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ datasetPublications(datasetId: "nope.daily_pages") { id } }', "not one of this client's datasets"),
        ('{ publicationRows(publicationId: "NOPE") { totalCount } }', "no publication"),
        ('{ publicationRows(publicationId: "NOPE", first: 0) { totalCount } }', "between 1 and 5000"),
        ('{ publicationRows(publicationId: "NOPE", first: 5001) { totalCount } }', "between 1 and 5000"),
        ('{ publicationSignature(publicationId: "NOPE") { signature } }', "no publication"),
        ("{ recentPublicationEvents(lastNDays: 0) { id } }", "between 1 and"),
    ],
)
def test_bad_arguments_are_graphql_errors_in_a_200(
    integration_server: LiveServer, token: str, query: str, message: str
) -> None:
    [answer] = answers(integration_server, token, [{"query": query}])
    assert message in answer["errors"][0]["message"]


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ({"fromDay": "yesterday"}, "YYYY-MM-DD"),
        ({"fromDay": "2026-02-01", "toDay": "2026-01-01"}, "must not be after"),
        ({"fromDay": "2024-01-01", "toDay": "2026-01-01"}, "at most 400 days"),
    ],
)
def test_publication_day_ranges_are_checked(
    integration_server: LiveServer, credentials: Credentials, days: dict[str, str], message: str
) -> None:
    token = get_token(integration_server, credentials)
    query = """query($id: ID!, $fromDay: String, $toDay: String) {
      datasetPublications(datasetId: $id, fromDay: $fromDay, toDay: $toDay) { id }
    }"""
    variables = {"id": f"{credentials.site.id}.daily_pages", **days}
    [answer] = answers(integration_server, token, [{"query": query, "variables": variables}])
    assert message in answer["errors"][0]["message"]


def test_a_publication_that_does_not_exist_is_null(integration_server: LiveServer, token: str) -> None:
    [answer] = answers(integration_server, token, [{"query": '{ publication(id: "NOPE") { id } }'}])
    assert answer == {"data": {"publication": None}}


def test_introspection_works_for_a_valid_token(integration_server: LiveServer, token: str) -> None:
    query = '{ __type(name: "PublicationEvent") { fields { name } } }'
    [answer] = answers(integration_server, token, [{"query": query}])
    names = [field["name"] for field in answer["data"]["__type"]["fields"]]
    assert names[:6] == ["id", "signerEmail", "signatureId", "datasetId", "branchId", "timestampIso8601"]
    assert {"day", "version", "rowsSha256", "parquetUrl"} <= set(names)
