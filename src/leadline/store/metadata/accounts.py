"""Accounts: who owns sites and API keys."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import fetch_all
from leadline.store.metadata.records import Account
from leadline.store.metadata.rows import find_one, get_one, reader, row_values
from leadline.store.metadata.tables import accounts

_to_account = reader(Account)


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
