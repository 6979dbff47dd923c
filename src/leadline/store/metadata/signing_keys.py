"""Accounts' Ed25519 signing keys: made on first use, newest signs, all stay available for verification.

Private halves are stored sealed (`sealed.py`) under the deployment's secret key, bound to their key's id.
Keys stored in plain before sealing existed are still read, and sealed on the first use of their account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, Row, Select, func, insert, select, update

from leadline.canonical import ALGORITHM, public_key_text
from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import fetch_all
from leadline.store.metadata.records import SigningKey
from leadline.store.metadata.rows import find_one, reader, row_values
from leadline.store.metadata.sealed import SealingKey, WrongSecretKeyError
from leadline.store.metadata.tables import signing_keys

# A private key stored before sealing existed: Ed25519's raw 32 bytes (a sealed one is longer).
PLAIN_PRIVATE_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class PrivateSigningKey:
    key: SigningKey
    private_key: Ed25519PrivateKey


class NoSecretKeyError(RuntimeError):
    """The store was opened without a secret key, so it cannot read or make private signing keys."""


_to_key = reader(SigningKey)


class SigningKeyRepository:
    def __init__(self, engine: Engine, sealing_key: SealingKey | None = None) -> None:
        self._engine = engine
        self._sealing_key = sealing_key

    def current(self, account_id: str) -> PrivateSigningKey:
        """The account's newest key with its private half, made now if the account has none."""
        with self._engine.begin() as connection:
            row = connection.execute(_newest(account_id)).first()
            if row is None:
                return self._add(connection, account_id)
            private = self._open(row)
            self._seal_plain_keys(connection, account_id)
        return PrivateSigningKey(_to_key(row), private)

    def rotate(self, account_id: str) -> SigningKey:
        """Make a new key that signs from now on; the older keys stay, to verify what they signed."""
        with self._engine.begin() as connection:
            newest = connection.execute(_newest(account_id)).first()
            # Strictly newer than the newest, even within one tick of the clock: "newest signs" must pick it.
            after = None if newest is None else newest._mapping["created_at"] + timedelta(microseconds=1)
            added = self._add(connection, account_id, not_before=after)
            self._seal_plain_keys(connection, account_id)
        return added.key

    def seal_plain_keys(self) -> int:
        """Seal every key still stored in plain (from before sealing existed); how many there were."""
        with self._engine.begin() as connection:
            return self._seal_plain_keys(connection)

    def get(self, key_id: str) -> SigningKey | None:
        with self._engine.connect() as connection:
            return find_one(connection, _to_key, select(signing_keys).where(signing_keys.c.id == key_id))

    def list_for_account(self, account_id: str) -> list[SigningKey]:
        with self._engine.connect() as connection:
            return fetch_all(connection, signing_keys, _to_key, signing_keys.c.account_id == account_id)

    def _add(self, connection: Connection, account_id: str, not_before: datetime | None = None) -> PrivateSigningKey:
        private = Ed25519PrivateKey.generate()
        now = utc_now()
        created_at = now if not_before is None else max(now, not_before)
        key = SigningKey(new_id(), account_id, ALGORITHM, public_key_text(private), created_at)
        sealed = self._key().seal(private.private_bytes_raw(), key.id.encode())
        connection.execute(insert(signing_keys).values(row_values(key, private_key=sealed)))
        return PrivateSigningKey(key, private)

    def _open(self, row: Row[Any]) -> Ed25519PrivateKey:
        stored: bytes = row._mapping["private_key"]
        key_id: str = row._mapping["id"]
        if len(stored) == PLAIN_PRIVATE_KEY_BYTES:
            return Ed25519PrivateKey.from_private_bytes(stored)
        try:
            raw = self._key().unseal(stored, key_id.encode())
        except WrongSecretKeyError as error:
            raise WrongSecretKeyError(
                f"signing key {key_id} cannot be decrypted: the secret key (LEADLINE_SECRET_KEY, "
                "LEADLINE_SECRET_KEY_FILE or the data directory's secret.key) is not the one it was stored with. "
                "Restore that key, or run `leadline keys rotate-signing` to sign with a new key from now on."
            ) from error
        return Ed25519PrivateKey.from_private_bytes(raw)

    def _seal_plain_keys(self, connection: Connection, account_id: str | None = None) -> int:
        """Seal the keys (of one account, or of all) still stored in plain; how many there were."""
        query = select(signing_keys.c.id, signing_keys.c.private_key).where(
            func.length(signing_keys.c.private_key) == PLAIN_PRIVATE_KEY_BYTES  # bytes, for a blob or a bytea
        )
        if account_id is not None:
            query = query.where(signing_keys.c.account_id == account_id)
        plain = connection.execute(query).all()
        for key_id, stored in plain:
            sealed = self._key().seal(stored, key_id.encode())
            connection.execute(update(signing_keys).where(signing_keys.c.id == key_id).values(private_key=sealed))
        return len(plain)

    def _key(self) -> SealingKey:
        if self._sealing_key is None:
            raise NoSecretKeyError("private signing keys need the secret key: open the metadata store with one")
        return self._sealing_key


def _newest(account_id: str) -> Select[Any]:
    return (
        select(signing_keys)
        .where(signing_keys.c.account_id == account_id)
        .order_by(signing_keys.c.created_at.desc(), signing_keys.c.id)
        .limit(1)
    )
