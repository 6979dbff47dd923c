"""Seed 000's own client code works unchanged against Leadline: authenticate, then both example queries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integrations import seed_000
from tests.integrations.conftest import Credentials
from tests.live_server import LiveServer

# The guide's two example queries, verbatim.
METADATA_QUERY = """
query {
  listSubscribedDatasetMetadata {
    id
    datasetName
    datasetColumns {
      id
      columnName
      valueType
    }
  }
}
"""
EVENTS_QUERY = """
query RecentEvents($days: Int!) {
  recentPublicationEvents(lastNDays: $days) {
    __typename
    id
    signerEmail
    signatureId
    datasetId
    branchId
    timestampIso8601
  }
}
"""
SHORT_EVENTS_QUERY = """
query RecentEvents($days: Int!) {
  recentPublicationEvents(lastNDays: $days) {
    id
    signerEmail
    datasetId
    timestampIso8601
  }
}
"""


def test_the_guides_client_class_authenticates_and_runs_both_example_queries(
    integration_server: LiveServer, credentials: Credentials, capsys: pytest.CaptureFixture[str]
) -> None:
    client: Any = seed_000.FathomAPIClient(
        hostname="your-instance", client_id=credentials.client_id, client_secret=credentials.client_secret
    )
    client.base_url = integration_server.base_url
    metadata = client.query(METADATA_QUERY)
    assert "Authentication successful" in capsys.readouterr().out
    names = [dataset["datasetName"] for dataset in metadata["listSubscribedDatasetMetadata"]]
    assert names == ["daily_pages", "daily_sources", "daily_events"]
    assert client.query(SHORT_EVENTS_QUERY, variables={"days": 7}) == {"recentPublicationEvents": []}
    assert "GraphQL Errors" not in capsys.readouterr().out


def test_the_guides_functions_get_a_token_and_make_an_api_call(
    integration_server: LiveServer, credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seed_000, "SERVER_URL", integration_server.base_url)
    monkeypatch.setattr(seed_000, "CLIENT_ID", credentials.client_id)
    monkeypatch.setattr(seed_000, "CLIENT_SECRET", credentials.client_secret)
    token = seed_000.get_access_token()  # type: ignore[no-untyped-call]
    assert seed_000.make_api_call(token, EVENTS_QUERY, {"days": 7}) == {"recentPublicationEvents": []}
    metadata = seed_000.make_api_call(token, METADATA_QUERY, {})
    assert len(metadata["listSubscribedDatasetMetadata"]) == 3
