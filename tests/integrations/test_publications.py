"""Signed daily publications end to end: generated traffic over several days, the server's publisher, GraphQL,
Parquet and CSV downloads, the `/v1/aggregations` answers they must equal, signatures, late data and the CLI.

The tests run in file order on one data directory; the late-data and CLI tests come last because they stop
and restart the server.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pyarrow.parquet as pq
import pytest

from leadline.canonical import rows_sha256, signature_is_valid, signed_message
from leadline.client.publications import PublicationEvent, PublicationSignature, signed_facts
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.publishing.datasets import DATASETS
from leadline.store.metadata.records import Site
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, leadline_env, start_server

ZONE = "America/New_York"
DAYS = 4
HOSTNAMES = ("www.shop.test", "blog.shop.test")
SERVER_SETTINGS = UNLIMITED | {
    "LEADLINE_PUBLICATION_INTERVAL_SECONDS": "1",
    "LEADLINE_PUBLICATION_GRACE_SECONDS": "0",
    "LEADLINE_TOKEN_RATE_LIMIT": "1000/minute",
}
PUBLICATION_FIELDS = """
  __typename id signerEmail signatureId datasetId branchId timestampIso8601
  datasetName day timezone version supersedesId rowCount rowsSha256 parquetUrl csvUrl
  columns { id columnName valueType }
"""
RECENT = f"query Recent($days: Int!) {{ recentPublicationEvents(lastNDays: $days) {{ {PUBLICATION_FIELDS} }} }}"
ROWS = """
query Rows($id: ID!, $first: Int!, $after: String) {
  publicationRows(publicationId: $id, first: $first, after: $after) { columns rows endCursor hasNextPage totalCount }
}
"""
SIGNATURE = """
query Signature($id: ID!) {
  publicationSignature(publicationId: $id) {
    signatureId publicationId algorithm keyId publicKey signature signedMessage
  }
}
"""


def local_today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


def local_midnight(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), ZoneInfo(ZONE)).timestamp()


@dataclass
class World:
    data_dir: Path
    site: Site
    email: str
    api_key: str
    client_id: str
    client_secret: str
    server: LiveServer
    first_day: date
    _token: str | None = field(default=None, repr=False)

    def closed_days(self) -> list[date]:
        last = local_today() - timedelta(days=1)
        return [self.first_day + timedelta(days=n) for n in range((last - self.first_day).days + 1)]

    def token(self) -> str:
        if self._token is None:
            form = {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": self.server.url("/api/integrations"),
            }
            response = httpx.post(self.server.url("/oauth2/token"), data=form)
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def graphql(self, query: str, **variables: object) -> dict[str, Any]:
        response = httpx.post(
            self.server.url("/api/integrations"),
            json=[{"query": query, "variables": variables}],
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        (answer,) = response.json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    def download(self, url: str) -> httpx.Response:
        return httpx.get(url, headers={"Authorization": f"Bearer {self.token()}"}, timeout=30)

    def aggregations(self, **params: str) -> list[dict[str, str]]:
        response = httpx.get(
            self.server.url("/v1/aggregations"),
            params=params,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        rows: list[dict[str, str]] = response.json()["data"]
        return rows

    def publications(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.graphql(RECENT, days=30)["recentPublicationEvents"]
        return found

    def wait_for(self, done: Any, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.publications()
            if done(found) or time.monotonic() > deadline:
                return found
            time.sleep(0.5)


def load(data_dir: Path, site: Site, start: float, end: float, seed: int, hits_per_day: float) -> None:
    deployment = build_deployment(Settings(data_dir=data_dir))
    try:
        config = TrafficConfig(
            site_id=site.id,
            start=start,
            end=end,
            seed=seed,
            hits_per_day=hits_per_day,
            timezone=ZONE,
            hostnames=HOSTNAMES,
        )
        assert load_traffic(deployment, config, bind_hostnames=False).stored > 0
    finally:
        deployment.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("publications")
    deployment = build_deployment(Settings(data_dir=data_dir))
    account = deployment.metadata.accounts.create("Shop", "owner@shop.test", ZONE)
    site = deployment.metadata.sites.create(account.id, {"name": "Shop"}, default_timezone=ZONE)
    api_key = deployment.metadata.api_keys.create(account.id, ["*"]).key
    issued = deployment.metadata.integration_clients.create(account.id, site.id, tuple(DATASETS))
    deployment.close()
    first_day = local_today() - timedelta(days=DAYS)
    load(data_dir, site, local_midnight(first_day), time.time() - 60, seed=7, hits_per_day=400)
    server = start_server(data_dir, SERVER_SETTINGS)
    world = World(data_dir, site, account.email, api_key, issued.client.id, issued.secret, server, first_day)
    yield world
    world.server.stop()


def expected_keys(world: World) -> set[tuple[str, str]]:
    return {
        (name, day.isoformat())
        for day in world.closed_days()
        for name in ("daily_pages", "daily_sources", "daily_events")
    }


def latest_by_key(found: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for publication in found:
        key = (publication["datasetName"], publication["day"])
        if key not in latest or publication["version"] > latest[key]["version"]:
            latest[key] = publication
    return latest


def all_rows(world: World, publication_id: str, page_size: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    after = None
    while True:
        page = world.graphql(ROWS, id=publication_id, first=page_size, after=after)["publicationRows"]
        rows.extend(page["rows"])
        if not page["hasNextPage"]:
            assert page["totalCount"] == len(rows)
            return rows
        after = page["endCursor"]


def day_range(day: str) -> dict[str, str]:
    return {"date_from": f"{day} 00:00:00", "date_to": f"{day} 23:59:59", "timezone": ZONE}


def rows_from_aggregations(world: World, dataset: str, day: str) -> list[list[Any]]:
    """The dataset's rows as a REST client would assemble them from /v1/aggregations, typed and sorted."""
    site = world.site.id
    rows: list[list[Any]] = []
    if dataset == "daily_pages":
        page_metrics = "visits,uniques,pageviews,avg_duration,bounce_rate"
        hosts = world.aggregations(
            entity="pageview", entity_id=site, aggregates="pageviews", field_grouping="hostname", **day_range(day)
        )
        for host in hosts:
            filters = json.dumps([{"field": "hostname", "operator": "is", "value": host["hostname"]}])
            for page in world.aggregations(
                entity="pageview",
                entity_id=site,
                aggregates=page_metrics,
                field_grouping="pathname",
                filters=filters,
                **day_range(day),
            ):
                rows.append(
                    [day, host["hostname"], page["pathname"]]
                    + [int(page[m]) for m in ("visits", "uniques", "pageviews")]
                    + [float(page["avg_duration"]), float(page["bounce_rate"])]
                )
    elif dataset == "daily_sources":
        for source in ("referrer_hostname", "utm_source", "utm_medium", "utm_campaign"):
            for row in world.aggregations(
                entity="pageview",
                entity_id=site,
                aggregates="visits,uniques,pageviews",
                field_grouping=source,
                **day_range(day),
            ):
                rows.append([day, source, row[source], int(row["visits"]), int(row["uniques"]), int(row["pageviews"])])
    else:
        names = world.server.metadata.events.list_all(site)
        for event in names:
            (row,) = world.aggregations(
                entity="event",
                site_id=site,
                entity_name=event.name,
                aggregates="conversions,unique_conversions,value",
                **day_range(day),
            )
            if int(row["conversions"]) > 0:
                rows.append([day, event.name] + [int(row[m]) for m in ("conversions", "unique_conversions", "value")])
    key_count = {"daily_pages": 3, "daily_sources": 3, "daily_events": 2}[dataset]
    return sorted(rows, key=lambda row: [str(cell) for cell in row[:key_count]])


def facts(publication: dict[str, Any], signature: dict[str, Any]) -> dict[str, object]:
    """The signed facts as a consumer rebuilds them from the GraphQL answers (the SDK's own function)."""
    return signed_facts(PublicationEvent.model_validate(publication), PublicationSignature.model_validate(signature))


def test_every_closed_day_of_every_subscribed_dataset_is_published_by_the_server(world: World) -> None:
    found = world.wait_for(lambda found: expected_keys(world) <= set(latest_by_key(found)))
    assert expected_keys(world) <= set(latest_by_key(found))
    assert local_today().isoformat() not in {publication["day"] for publication in found}, "today is not closed"
    for publication in found:
        assert publication["__typename"] == "PublicationEvent"
        assert publication["signerEmail"] == "owner@shop.test"
        assert publication["branchId"] == "main"
        assert publication["datasetId"] == f"{world.site.id}.{publication['datasetName']}"
        assert publication["timezone"] == ZONE
        stamp = datetime.fromisoformat(publication["timestampIso8601"])
        assert stamp.utcoffset() == ZoneInfo(ZONE).utcoffset(stamp.replace(tzinfo=None))
        assert abs((datetime.now(UTC) - stamp).total_seconds()) < 600


def test_the_publisher_does_not_republish_unchanged_days(world: World) -> None:
    before = {publication["id"] for publication in world.publications()}
    time.sleep(2.5)  # more than two scheduler runs
    assert {publication["id"] for publication in world.publications()} == before


def test_rows_by_graphql_parquet_and_csv_equal_the_aggregations_answers(world: World) -> None:
    latest = latest_by_key(world.publications())
    for key in sorted(expected_keys(world)):
        publication = latest[key]
        dataset, day = key
        expected = rows_from_aggregations(world, dataset, day)
        assert publication["rowCount"] == len(expected)
        by_graphql = all_rows(world, publication["id"], page_size=7)
        assert by_graphql == expected, key

        parquet = world.download(publication["parquetUrl"])
        assert parquet.status_code == 200, parquet.text
        table = pq.read_table(io.BytesIO(parquet.content))
        assert table.column_names == [column["columnName"] for column in publication["columns"]]
        as_rows = [
            [cell.isoformat() if isinstance(cell, date) else cell for cell in row]
            for row in zip(*(column.to_pylist() for column in table.columns), strict=True)
        ]
        assert as_rows == expected, key
        assert table.schema.metadata[b"leadline.rows_sha256"].decode() == publication["rowsSha256"]

        text = world.download(publication["csvUrl"])
        assert text.status_code == 200
        header, *records = list(csv.reader(io.StringIO(text.text)))
        assert header == table.column_names
        assert records == [[str(cell) for cell in row] for row in expected]
    assert any(latest[("daily_events", day.isoformat())]["rowCount"] > 0 for day in world.closed_days())


def test_the_signature_verifies_and_fails_when_one_byte_of_a_row_changes(world: World) -> None:
    latest = latest_by_key(world.publications())
    publication = latest[("daily_pages", world.closed_days()[-1].isoformat())]
    signature = world.graphql(SIGNATURE, id=publication["id"])["publicationSignature"]
    assert signature["algorithm"] == "Ed25519"
    assert signature["signatureId"] == publication["signatureId"]
    table = pq.read_table(io.BytesIO(world.download(publication["parquetUrl"]).content))
    columns = table.column_names
    rows = [
        [cell.isoformat() if isinstance(cell, date) else cell for cell in row]
        for row in zip(*(column.to_pylist() for column in table.columns), strict=True)
    ]
    message = signed_message(facts(publication, signature))
    assert message.decode() == signature["signedMessage"]
    assert rows_sha256(columns, rows) == publication["rowsSha256"]
    assert signature_is_valid(signature["publicKey"], signature["signature"], message)

    tampered = [list(row) for row in rows]
    tampered[0][2] = tampered[0][2][:-1] + chr(ord(tampered[0][2][-1]) ^ 1)  # one byte of one pathname
    assert rows_sha256(columns, tampered) != publication["rowsSha256"]
    forged = facts(publication, signature) | {"rowsSha256": rows_sha256(columns, tampered)}
    assert not signature_is_valid(signature["publicKey"], signature["signature"], signed_message(forged))


def test_another_clients_publications_are_not_visible(world: World) -> None:
    other = world.server.metadata.integration_clients
    account = world.server.new_account("Other")
    site = world.server.new_site(account)
    issued = other.create(account.id, site.id, ["daily_events"])
    form = {
        "grant_type": "client_credentials",
        "client_id": issued.client.id,
        "client_secret": issued.secret,
        "scope": world.server.url("/api/integrations"),
    }
    token = httpx.post(world.server.url("/oauth2/token"), data=form).json()["access_token"]
    publication = latest_by_key(world.publications())[("daily_pages", world.closed_days()[0].isoformat())]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": "query($id: ID!) { publication(id: $id) { id } }", "variables": {"id": publication["id"]}}
    answer = httpx.post(world.server.url("/api/integrations"), json=body, headers=headers).json()
    assert answer == {"data": {"publication": None}}
    download = httpx.get(publication["parquetUrl"], headers=headers)
    assert download.status_code == 404
    assert "errors" in download.json()
    assert httpx.get(publication["csvUrl"]).status_code == 401


def test_late_data_makes_a_new_version_and_the_old_one_stays_as_it_was(world: World) -> None:
    yesterday = world.closed_days()[-1].isoformat()
    before = latest_by_key(world.publications())
    old = before[("daily_pages", yesterday)]
    old_rows = all_rows(world, old["id"], page_size=500)
    world.server.stop()
    late_start = local_midnight(world.closed_days()[-1]) + 3600
    load(world.data_dir, world.site, late_start, late_start + 4 * 3600, seed=99, hits_per_day=300)
    world.server = start_server(world.data_dir, SERVER_SETTINGS)
    world._token = None

    def republished(found: list[dict[str, Any]]) -> bool:
        return int(latest_by_key(found)[("daily_pages", yesterday)]["version"]) > int(old["version"])

    after = latest_by_key(world.wait_for(republished))
    new = after[("daily_pages", yesterday)]
    assert new["version"] == old["version"] + 1
    assert new["supersedesId"] == old["id"]
    assert new["branchId"] == "main"
    assert new["rowsSha256"] != old["rowsSha256"]
    assert all_rows(world, new["id"], page_size=500) == rows_from_aggregations(world, "daily_pages", yesterday)
    assert all_rows(world, old["id"], page_size=500) == old_rows, "a publication never changes"
    untouched = [key for key in expected_keys(world) if key[1] != yesterday]
    assert all(after[key]["id"] == before[key]["id"] for key in untouched)


def publish(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadline", "publish", "--site", world.site.id, *args],
        env=leadline_env(world.data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_leadline_publish_works_beside_the_server_and_without_it(world: World) -> None:
    day = world.closed_days()[0].isoformat()
    beside = publish(world, "--date", day, "--json")  # the running server publishes, asked over its admin socket
    assert beside.returncode == 0, beside.stderr
    assert json.loads(beside.stdout)["day"] == day
    world.server.stop()

    unchanged = publish(world, "--date", day, "--json")
    assert unchanged.returncode == 0, unchanged.stderr
    answer = json.loads(unchanged.stdout)
    assert answer["day"] == day
    assert {item["dataset"] for item in answer["publications"]} == {"daily_pages", "daily_sources", "daily_events"}
    assert not any(item["created"] for item in answer["publications"]), "same rows: the publication stands"

    older = (world.first_day - timedelta(days=3)).isoformat()
    fresh = publish(world, "--date", older, "--dataset", "daily_pages", "--json")
    assert fresh.returncode == 0, fresh.stderr
    (made,) = json.loads(fresh.stdout)["publications"]
    assert made["created"] is True
    assert made["version"] == 1
    assert made["row_count"] == 0
    assert made["signer_email"] == "owner@shop.test"

    today = publish(world, "--date", local_today().isoformat())
    assert today.returncode == 2
    assert "has not ended" in today.stderr
