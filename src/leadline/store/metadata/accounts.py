"""Accounts: who owns sites and API keys, and the dashboard password each may sign in with."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update

from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import fetch_all
from leadline.store.metadata.records import Account, NotFoundError
from leadline.store.metadata.rows import find_one, get_one, reader, row_values
from leadline.store.metadata.tables import accounts

MIN_PASSWORD_LENGTH = 10

_to_account = reader(Account)
# Argon2id with the library's defaults (RFC 9106's second recommended set); chosen by people, so a slow hash.
_hasher = PasswordHasher()
# An unknown email is checked against this stand-in, so it costs the same time as a wrong password. A literal
# (of "leadline: no such account"), not hashed at import: that took 0.2 s of every CLI command's start. A test
# checks it has the hasher's parameters, which set the time a check takes.
STAND_IN_HASH = "$argon2id$v=19$m=65536,t=3,p=4$exyxGs4QdOh6dVzTQB5JmQ$cmNqFM3RG5bbxMp3x0yfPKP/xlcPhoYJ16DtIMXaJPE"


class WeakPasswordError(ValueError):
    """A password the dashboard will not accept (the message says why)."""


def check_password_strength(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise WeakPasswordError("a password may have at most 1024 characters")
    return password


class AccountRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, name: str, email: str, timezone: str = "UTC") -> Account:
        account = Account(id=new_id(), name=name, email=email, timezone=timezone, created_at=utc_now())
        with self._engine.begin() as connection:
            connection.execute(insert(accounts).values(row_values(account)))
        return account

    def get(self, account_id: str) -> Account:
        with self._engine.connect() as connection:
            query = select(accounts).where(accounts.c.id == account_id)
            return get_one(connection, _to_account, query, "account", account_id)

    def find_by_email(self, email: str) -> Account | None:
        with self._engine.connect() as connection:
            query = select(accounts).where(accounts.c.email == email).order_by(accounts.c.created_at)
            return find_one(connection, _to_account, query)

    def list_all(self) -> list[Account]:
        with self._engine.connect() as connection:
            return fetch_all(connection, accounts, _to_account)

    def set_password(self, account_id: str, password: str) -> None:
        """Replace the account's dashboard password (which ends every session signed in with the old one)."""
        hashed = _hasher.hash(check_password_strength(password))
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(accounts).where(accounts.c.id == account_id).values(password_hash=hashed)
            ).rowcount
        if not changed:
            raise NotFoundError("account", account_id)

    def verify_password(self, email: str, password: str) -> Account | None:
        """The account of `email` whose password this is, or None; constant-time whatever is wrong.

        Emails are not unique across accounts (the API never required it): the oldest account with this
        email and a matching password wins.
        """
        with self._engine.connect() as connection:
            query = (
                select(accounts)
                .where(accounts.c.email == email, accounts.c.password_hash.is_not(None))
                .order_by(accounts.c.created_at, accounts.c.id)
            )
            rows = connection.execute(query).all()
        if not rows:
            _matches(STAND_IN_HASH, password)
            return None
        for row in rows:
            stored = str(row._mapping["password_hash"])
            if _matches(stored, password):
                if _hasher.check_needs_rehash(stored):
                    self._rehash(row._mapping["id"], stored, password)
                return _to_account(row)
        return None

    def password_stamp(self, account_id: str) -> str | None:
        """A short digest of the account's current password hash (None without a password or account).

        Sessions carry it, so changing the password ends them; the hash itself never leaves the store.
        """
        with self._engine.connect() as connection:
            stored = connection.execute(
                select(accounts.c.password_hash).where(accounts.c.id == account_id)
            ).scalar_one_or_none()
        if stored is None:
            return None
        return hashlib.sha256(stored.encode("utf-8")).hexdigest()[:32]

    def _rehash(self, account_id: str, stored: str, password: str) -> None:
        # Only if nobody changed the password meanwhile (the old hash is still there).
        with self._engine.begin() as connection:
            connection.execute(
                update(accounts)
                .where(accounts.c.id == account_id, accounts.c.password_hash == stored)
                .values(password_hash=_hasher.hash(password))
            )


def _matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
