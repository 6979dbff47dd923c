"""Private signing keys at rest, on SQLite and on PostgreSQL: sealed under the secret key, never in the SQLite file
in plain, unreadable (with a clear error) under another key; keys stored in plain before sealing existed are read
and sealed on first use."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import insert, select, update

from leadline.canonical import ALGORITHM, public_key_text
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.sealed import SEALED_PREFIX, SealingKey, WrongSecretKeyError
from leadline.store.metadata.signing_keys import NoSecretKeyError
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.metadata.tables import signing_keys
from leadline.store.secret_key import SecretKeyError, load_secret_key

SECRET = b"correct horse battery staple"


def open_store(url: str, secret: bytes | None = SECRET) -> MetadataStore:
    key = None if secret is None else SealingKey.of(secret)
    return open_metadata_store(url, sealing_key=key)


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'leadline.sqlite3'}"


def file_bytes(store: MetadataStore) -> bytes:
    """The SQLite file's raw bytes, with the WAL checkpointed into it first (b"" for a database server)."""
    if store.engine.dialect.name != "sqlite" or store.engine.url.database is None:
        return b""
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(store.engine.url.database).read_bytes()


def stored_blob(store: MetadataStore, key_id: str) -> bytes:
    with store.engine.connect() as connection:
        blob: bytes = connection.execute(
            select(signing_keys.c.private_key).where(signing_keys.c.id == key_id)
        ).scalar_one()
    return blob


def test_the_private_key_never_reaches_the_database_file_in_plain(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path))
    account = store.accounts.create("A", "a@example.com")
    current = store.signing_keys.current(account.id)
    raw = current.private_key.private_bytes_raw()
    on_disk = file_bytes(store)
    store.close()
    assert raw not in on_disk
    assert current.key.public_key.encode() in on_disk  # the public half is stored as it was


def test_the_same_secret_opens_the_key_again_and_it_signs_as_before(metadata_url: str) -> None:
    store = open_store(metadata_url)
    account = store.accounts.create("A", "a@example.com")
    first = store.signing_keys.current(account.id)
    store.close()
    reopened = open_store(metadata_url)
    again = reopened.signing_keys.current(account.id)
    reopened.close()
    assert again.key == first.key
    assert again.private_key.private_bytes_raw() == first.private_key.private_bytes_raw()


def test_another_secret_is_a_clear_error_never_a_different_key(metadata_url: str) -> None:
    store = open_store(metadata_url)
    account = store.accounts.create("A", "a@example.com")
    key_id = store.signing_keys.current(account.id).key.id
    store.close()
    wrong = open_store(metadata_url, b"not the secret it was sealed with")
    with pytest.raises(WrongSecretKeyError, match=f"signing key {key_id} cannot be decrypted.*rotate-signing"):
        wrong.signing_keys.current(account.id)
    assert [key.id for key in wrong.signing_keys.list_for_account(account.id)] == [key_id]  # public halves stay
    wrong.close()


def test_a_sealed_key_moved_onto_another_row_does_not_open(metadata_url: str) -> None:
    store = open_store(metadata_url)
    victim, thief = store.accounts.create("V", "v@example.com"), store.accounts.create("T", "t@example.com")
    victim_key = store.signing_keys.current(victim.id).key
    thief_key = store.signing_keys.current(thief.id).key
    with store.engine.begin() as connection:
        connection.execute(
            update(signing_keys)
            .where(signing_keys.c.id == thief_key.id)
            .values(private_key=stored_blob(store, victim_key.id))
        )
    with pytest.raises(WrongSecretKeyError):
        store.signing_keys.current(thief.id)
    store.close()


def store_in_plain(store: MetadataStore, account_id: str, key_id: str) -> bytes:
    """A private key stored as before sealing existed: its raw bytes."""
    legacy = Ed25519PrivateKey.generate()
    raw = legacy.private_bytes_raw()
    with store.engine.begin() as connection:
        connection.execute(
            insert(signing_keys).values(
                id=key_id,
                account_id=account_id,
                algorithm=ALGORITHM,
                public_key=public_key_text(legacy),
                private_key=raw,
                created_at=utc_now(),
            )
        )
    return raw


def test_a_key_stored_in_plain_before_sealing_is_read_then_sealed_on_first_use(metadata_url: str) -> None:
    store = open_store(metadata_url)
    account = store.accounts.create("A", "a@example.com")
    raw = store_in_plain(store, account.id, "LEGACYKEY1")

    current = store.signing_keys.current(account.id)

    assert current.key.id == "LEGACYKEY1"
    assert current.private_key.private_bytes_raw() == raw
    assert stored_blob(store, "LEGACYKEY1").startswith(SEALED_PREFIX)
    assert raw not in file_bytes(store)  # secure delete: the plain bytes did not stay in a free page
    assert store.signing_keys.current(account.id).private_key.private_bytes_raw() == raw
    store.close()


def test_every_key_stored_in_plain_is_sealed_at_once_when_asked(metadata_url: str) -> None:
    store = open_store(metadata_url)
    accounts = [store.accounts.create(name, f"{name}@example.com") for name in ("a", "b")]
    raws = [store_in_plain(store, account.id, f"LEGACY{number}") for number, account in enumerate(accounts)]

    assert store.signing_keys.seal_plain_keys() == 2
    assert store.signing_keys.seal_plain_keys() == 0
    assert all(stored_blob(store, f"LEGACY{number}").startswith(SEALED_PREFIX) for number in range(2))
    assert not any(raw in file_bytes(store) for raw in raws)
    assert store.signing_keys.current(accounts[1].id).private_key.private_bytes_raw() == raws[1]
    store.close()


def test_a_store_opened_without_a_secret_lists_public_keys_but_refuses_private_ones(metadata_url: str) -> None:
    store = open_store(metadata_url)
    account = store.accounts.create("A", "a@example.com")
    key = store.signing_keys.current(account.id).key
    store.close()
    keyless = open_store(metadata_url, secret=None)
    assert keyless.signing_keys.get(key.id) == key
    with pytest.raises(NoSecretKeyError, match="need the secret key"):
        keyless.signing_keys.current(account.id)
    keyless.close()


def test_without_a_configured_secret_a_key_file_is_made_on_first_need_only(tmp_path: Path) -> None:
    deployment = build_deployment(Settings(data_dir=tmp_path))
    try:
        key_file = tmp_path / "secret.key"
        assert not key_file.exists()
        account = deployment.metadata.accounts.create("A", "a@example.com")
        deployment.metadata.signing_keys.current(account.id)
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert len(key_file.read_text().strip()) >= 32
    finally:
        deployment.close()
    assert load_secret_key(Settings(data_dir=tmp_path)) == key_file.read_text().strip().encode()


def test_the_secret_key_setting_wins_over_any_key_file(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("a key file that is not used at all\n")
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("the configured secret key"))
    assert load_secret_key(settings) == b"the configured secret key"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"secret_key": SecretStr("short")}, "LEADLINE_SECRET_KEY is too short"),
        ({"secret_key_file": Path("absent.key")}, "cannot read the secret key file"),
    ],
)
def test_a_configured_secret_that_cannot_be_used_stops_the_start(
    tmp_path: Path, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(SecretKeyError, match=message):
        build_deployment(Settings(data_dir=tmp_path, **settings))  # type: ignore[arg-type]
