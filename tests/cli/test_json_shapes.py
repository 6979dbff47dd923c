"""The `--json` shapes of the operator commands: the API's serializers where the shape is the same, and the
CLI's own older shapes (a contract scripts rely on) built from them, key for key and in this order."""

from __future__ import annotations

from datetime import UTC, datetime

from leadline.api.serializers import account_json, integration_client_json, site_json
from leadline.cli.accounts import account_row
from leadline.cli.integrations import client_row, credentials_row
from leadline.cli.keys import key_row
from leadline.cli.sites import CREATED_KEYS, site_row
from leadline.store.metadata.integration_clients import IssuedClient
from leadline.store.metadata.records import Account, ApiKey, IntegrationClient, Site

CREATED = datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC)
ACCOUNT = Account(id="ACC1", name="Acme", email="ops@acme.test", timezone="Europe/Berlin", created_at=CREATED)
SITE = Site(
    id="SITE1",
    account_id="ACC1",
    name="Shop",
    sharing="none",
    has_share_password=False,
    timezone="UTC",
    multi_domain=False,
    multi_domain_option=None,
    created_at=CREATED,
    updated_at=CREATED,
)
CLIENT = IntegrationClient(
    id="CLI1",
    account_id="ACC1",
    site_id="SITE1",
    name="warehouse",
    datasets=("daily_pages",),
    created_at=CREATED,
    revoked_at=CREATED,
)


def test_an_account_is_the_apis_account_without_its_object_tag() -> None:
    expected = {key: value for key, value in account_json(ACCOUNT).items() if key != "object"}
    assert account_row(ACCOUNT) == expected
    assert list(account_row(ACCOUNT)) == ["id", "name", "email", "timezone"]


def test_a_listed_site_is_part_of_the_apis_site_plus_its_account() -> None:
    row = site_row(SITE)
    assert list(row) == ["id", "name", "account_id", "sharing", "timezone"]
    assert row == {key: site_json(SITE)[key] for key in ("id", "name", "sharing", "timezone")} | {"account_id": "ACC1"}


def test_a_created_site_is_printed_without_its_sharing() -> None:
    assert site_row(SITE, CREATED_KEYS) == {"id": "SITE1", "name": "Shop", "account_id": "ACC1", "timezone": "UTC"}


def test_a_listed_client_says_revoked_as_a_flag_and_names_its_account() -> None:
    api = integration_client_json(CLIENT)
    assert client_row(CLIENT) == {
        "client_id": api["client_id"],
        "account_id": "ACC1",
        "site_id": api["site_id"],
        "name": api["name"],
        "datasets": api["datasets"],
        "created_at": api["created_at"],
        "revoked": True,
    }
    assert list(client_row(CLIENT))[:2] == ["client_id", "account_id"]


def test_a_new_or_rotated_client_prints_exactly_its_credentials() -> None:
    assert credentials_row(IssuedClient(CLIENT, "s3cret")) == {"client_id": "CLI1", "client_secret": "s3cret"}


def test_a_key_prints_its_creation_time_as_the_api_writes_times_and_never_a_secret() -> None:
    key = ApiKey(id="KEY1", account_id="ACC1", name="ci", permissions=("*",), created_at=CREATED, revoked_at=None)
    assert key_row(key) == {
        "id": "KEY1",
        "name": "ci",
        "permissions": ["*"],
        "created_at": "2026-03-01 09:30:05",
        "revoked": False,
    }
