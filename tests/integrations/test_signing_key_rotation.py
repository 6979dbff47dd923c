"""`leadline keys rotate-signing`: a new key signs from then on, and every older key stays listed, so what it
signed keeps verifying (in process, and through the Integration API of a running server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadline.canonical import ALGORITHM, signature_is_valid, signed_message
from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.publishing.publications import Publication
from leadline.publishing.publisher import Publisher
from leadline.store.metadata.records import Site
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.secret_key import sealing_key
from tests.integrations.conftest import get_token, new_credentials
from tests.integrations.test_csv_cells import publication_of
from tests.live_server import LiveServer, run_leadline

SIGNATURE = """
query Signature($id: ID!) {
  publicationSignature(publicationId: $id) { keyId publicKey signature signedMessage }
}
"""


def rotate(data_dir: Path, account_id: str) -> dict[str, Any]:
    result = run_leadline(data_dir, "keys", "rotate-signing", "--account", account_id, "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert isinstance(printed, dict)
    return printed


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    built = build_deployment(Settings(data_dir=tmp_path))
    yield built
    built.close()


@pytest.fixture
def site(deployment: Deployment) -> Site:
    account = deployment.metadata.accounts.create("Shop", "owner@shop.test")
    return deployment.metadata.sites.create(account.id, {"name": "Shop"})


@contextmanager
def store_of(data_dir: Path) -> Iterator[MetadataStore]:
    """The metadata store of `data_dir` with the secret key the CLI would use there."""
    settings = Settings(data_dir=data_dir)
    store = open_metadata_store(settings.metadata_url, sealing_key=sealing_key(settings))
    try:
        yield store
    finally:
        store.close()


def verifies(deployment: Deployment, publication: Publication) -> bool:
    key = deployment.metadata.signing_keys.get(publication.key_id)
    assert key is not None
    message = signed_message(publication.signed_facts(ALGORITHM))
    return signature_is_valid(key.public_key, publication.signature, message)


def test_after_a_rotation_the_new_key_signs_and_the_old_signatures_still_verify(
    deployment: Deployment, site: Site
) -> None:
    keys, publisher = deployment.metadata.signing_keys, Publisher(deployment.metadata, deployment.event_store)
    (before,) = publisher.publish(site, date(2026, 3, 1), ["daily_pages"])
    new_key = keys.rotate(site.account_id)
    (after,) = publisher.publish(site, date(2026, 3, 2), ["daily_pages"])

    assert before.publication.key_id != new_key.id
    assert after.publication.key_id == new_key.id == keys.current(site.account_id).key.id
    assert {key.id for key in keys.list_for_account(site.account_id)} == {before.publication.key_id, new_key.id}
    assert verifies(deployment, before.publication) and verifies(deployment, after.publication)


def test_the_newest_key_signs_even_when_rotations_follow_within_one_clock_tick(
    deployment: Deployment, site: Site
) -> None:
    keys = deployment.metadata.signing_keys
    rotated = [keys.rotate(site.account_id) for _ in range(5)]
    assert keys.current(site.account_id).key == rotated[-1]
    assert len(keys.list_for_account(site.account_id)) == 5


def test_rotating_prints_the_new_key_and_an_unknown_account_is_refused(data_dir: Path) -> None:
    with store_of(data_dir) as store:
        account_id = store.accounts.create("A", "a@a.test").id
        first = store.signing_keys.current(account_id).key

    printed = rotate(data_dir, account_id)

    assert printed["id"] != first.id
    assert set(printed) == {"id", "account_id", "algorithm", "public_key"}
    assert (printed["account_id"], printed["algorithm"]) == (account_id, ALGORITHM)
    with store_of(data_dir) as store:
        assert store.signing_keys.current(account_id).key.public_key == printed["public_key"]
        assert {key.id for key in store.signing_keys.list_for_account(account_id)} == {first.id, printed["id"]}
    unknown = run_leadline(data_dir, "keys", "rotate-signing", "--account", "NOSUCHACCT")
    assert unknown.returncode == 2
    assert "error:" in unknown.stderr and "NOSUCHACCT" in unknown.stderr


def test_a_wrong_secret_key_is_a_one_line_error_of_the_cli(data_dir: Path) -> None:
    with store_of(data_dir) as store:  # seals the account's key under the key file made in the data directory
        account = store.accounts.create("A", "a@a.test")
        site = store.sites.create(account.id, {"name": "S"})
        store.signing_keys.current(account.id)

    publish = ("publish", "--site", site.id, "--date", "2026-03-01", "--dataset", "daily_pages")
    wrong = run_leadline(data_dir, *publish, env={"LEADLINE_SECRET_KEY": "some other long secret key"})

    assert wrong.returncode == 2
    assert "cannot be decrypted" in wrong.stderr and "Traceback" not in wrong.stderr


def test_a_running_server_lists_old_and_new_keys_and_old_publications_keep_verifying(
    integration_server: LiveServer,
) -> None:
    credentials = new_credentials(integration_server, "daily_sources")
    account_id = credentials.site.account_id
    old, content = publication_of(credentials.site.id, account_id, integration_server)
    integration_server.metadata.publications.add(old, content)

    new_key = rotate(integration_server.data_dir, account_id)
    newer, _ = publication_of(credentials.site.id, account_id, integration_server)

    headers = {"Authorization": f"Bearer {get_token(integration_server, credentials)}"}
    body = [
        {"query": "{ signingKeys { keyId publicKey } }"},
        {"query": SIGNATURE, "variables": {"id": old.id}},
    ]
    response = httpx.post(integration_server.url("/api/integrations"), json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    listed, signature = (answer["data"] for answer in response.json())
    assert {key["keyId"] for key in listed["signingKeys"]} == {old.key_id, new_key["id"]}
    assert newer.key_id == new_key["id"] != old.key_id
    found = signature["publicationSignature"]
    assert found["keyId"] == old.key_id
    assert signature_is_valid(found["publicKey"], found["signature"], found["signedMessage"].encode())
