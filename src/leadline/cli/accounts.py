"""`leadline accounts`: create and list accounts."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadline.api.serializers import account_json
from leadline.cli.options import check_timezone
from leadline.cli.output import JsonOption, fail, pick, print_result, print_rows
from leadline.cli.stores import metadata_store
from leadline.store.metadata.records import Account

accounts_app = typer.Typer(help="Create and list accounts.", no_args_is_help=True)


def account_row(account: Account) -> dict[str, Any]:
    """The API's account without its `object` tag, which the CLI's `--json` has never printed (a contract)."""
    return pick(account_json(account), "id", "name", "email", "timezone")


@accounts_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Account name.")],
    email: Annotated[str, typer.Option(help="Account email.")],
    timezone: Annotated[str, typer.Option(help="Default timezone of new sites.")] = "UTC",
    as_json: JsonOption = False,
) -> None:
    """Create an account."""
    if not name.strip() or "@" not in email:
        fail("an account needs a name and an email address")
    with metadata_store() as store:
        account = store.accounts.create(name, email, check_timezone(timezone))
    print_result(
        account_row(account), as_json, f"Created account [bold]{account.id}[/] ({account.name} <{account.email}>)"
    )


@accounts_app.command("list")
def list_accounts(as_json: JsonOption = False) -> None:
    """List accounts."""
    with metadata_store() as store:
        accounts = store.accounts.list_all()
    rows = [account_row(account) for account in accounts]
    print_rows(rows, as_json, "Accounts", ["id", "name", "email", "timezone"])
