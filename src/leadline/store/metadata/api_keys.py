"""API keys: issued once in clear, stored only as a SHA-256 hash, checked in constant time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from leadline.store.ids import ID_LENGTH, new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import fetch_all
from leadline.store.metadata.records import ApiKey
from leadline.store.metadata.rows import get_one, reader, row_values
from leadline.store.metadata.secret_hashes import hash_secret, new_secret, secret_matches
from leadline.store.metadata.tables import api_keys

KEY_PREFIX = "ll"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly created key: the only moment its secret exists outside the client."""

    record: ApiKey
    key: str


def _key_id_of(key: str) -> str | None:
    # Keys look like ll_<id>_<secret>; ids never contain "_", secrets may.
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != ID_LENGTH:
        return None
    return parts[1]


_to_key = reader(ApiKey, permissions=lambda row: tuple(row["permissions"]))


class ApiKeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, account_id: str, permissions: Sequence[str], name: str = "") -> IssuedKey:
        key_id = new_id()
        key = f"{KEY_PREFIX}_{key_id}_{new_secret()}"
        record = ApiKey(
            id=key_id,
            account_id=account_id,
            name=name,
            permissions=tuple(permissions),
            created_at=utc_now(),
            revoked_at=None,
        )
        with self._engine.begin() as connection:
            values = row_values(record, key_hash=hash_secret(key), permissions=list(record.permissions))
            connection.execute(insert(api_keys).values(values))
        return IssuedKey(record=record, key=key)

    def authenticate(self, key: str) -> ApiKey | None:
        """The active key record for `key`, or None for unknown, malformed or revoked keys."""
        key_id = _key_id_of(key)
        row = None
        if key_id is not None:
            with self._engine.connect() as connection:
                row = connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        matches = secret_matches(None if row is None else row._mapping["key_hash"], key)
        if row is None or not matches or row._mapping["revoked_at"] is not None:
            return None
        return _to_key(row)

    def list_for_account(self, account_id: str) -> list[ApiKey]:
        with self._engine.connect() as connection:
            return fetch_all(connection, api_keys, _to_key, api_keys.c.account_id == account_id)

    def revoke(self, key_id: str) -> ApiKey:
        with self._engine.begin() as connection:
            connection.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
            return get_one(connection, _to_key, select(api_keys).where(api_keys.c.id == key_id), "API key", key_id)
