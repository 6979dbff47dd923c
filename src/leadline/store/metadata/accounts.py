"""Accounts: who owns sites and API keys."""

from __future__ import annotations

from sqlalchemy import Engine, Row, insert, select

from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.records import Account, NotFoundError
from leadline.store.metadata.tables import accounts


def _to_account(row: Row[tuple[object, ...]]) -> Account:
    m = row._mapping
    return Account(id=m["id"], name=m["name"], email=m["email"], timezone=m["timezone"], created_at=m["created_at"])


class AccountRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, name: str, email: str, timezone: str = "UTC") -> Account:
        account = Account(id=new_id(), name=name, email=email, timezone=timezone, created_at=utc_now())
        with self._engine.begin() as connection:
            connection.execute(
                insert(accounts).values(
                    id=account.id,
                    name=account.name,
                    email=account.email,
                    timezone=account.timezone,
                    created_at=account.created_at,
                )
            )
        return account

    def get(self, account_id: str) -> Account:
        with self._engine.connect() as connection:
            row = connection.execute(select(accounts).where(accounts.c.id == account_id)).first()
        if row is None:
            raise NotFoundError("account", account_id)
        return _to_account(row)

    def find_by_email(self, email: str) -> Account | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(accounts).where(accounts.c.email == email).order_by(accounts.c.created_at)
            ).first()
        return None if row is None else _to_account(row)

    def list_all(self) -> list[Account]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(accounts).order_by(accounts.c.created_at, accounts.c.id)).all()
        return [_to_account(row) for row in rows]
