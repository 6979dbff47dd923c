"""Accounts' Ed25519 signing keys: made on first use, newest signs, all stay available for verification."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, select

from leadline.canonical import ALGORITHM, public_key_text
from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import fetch_all
from leadline.store.metadata.records import SigningKey
from leadline.store.metadata.rows import find_one, reader, row_values
from leadline.store.metadata.tables import signing_keys


@dataclass(frozen=True, slots=True)
class PrivateSigningKey:
    key: SigningKey
    private_key: Ed25519PrivateKey


_to_key = reader(SigningKey)


class SigningKeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def current(self, account_id: str) -> PrivateSigningKey:
        """The account's newest key with its private half, made now if the account has none."""
        with self._engine.begin() as connection:
            row = connection.execute(
                select(signing_keys)
                .where(signing_keys.c.account_id == account_id)
                .order_by(signing_keys.c.created_at.desc(), signing_keys.c.id)
                .limit(1)
            ).first()
            if row is not None:
                private = Ed25519PrivateKey.from_private_bytes(row._mapping["private_key"])
                return PrivateSigningKey(_to_key(row), private)
            private = Ed25519PrivateKey.generate()
            key = SigningKey(new_id(), account_id, ALGORITHM, public_key_text(private), utc_now())
            connection.execute(insert(signing_keys).values(row_values(key, private_key=private.private_bytes_raw())))
        return PrivateSigningKey(key, private)

    def get(self, key_id: str) -> SigningKey | None:
        with self._engine.connect() as connection:
            return find_one(connection, _to_key, select(signing_keys).where(signing_keys.c.id == key_id))

    def list_for_account(self, account_id: str) -> list[SigningKey]:
        with self._engine.connect() as connection:
            return fetch_all(connection, signing_keys, _to_key, signing_keys.c.account_id == account_id)
