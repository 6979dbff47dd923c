"""`leadline accounts`: create and list accounts, and set the password an account signs in to the dashboard with."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from leadline.api.serializers import account_json
from leadline.cli.options import check_timezone
from leadline.cli.output import JsonOption, console, fail, pick, print_result, print_rows
from leadline.cli.stores import metadata_store
from leadline.store.metadata.accounts import WeakPasswordError, check_password_strength
from leadline.store.metadata.records import Account

accounts_app = typer.Typer(help="Create and list accounts; set dashboard passwords.", no_args_is_help=True)

PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the dashboard password from the first line of standard input (at least 10 characters).",
    ),
]


def read_password_line() -> str:
    """One line of standard input as a password: never an argument, which other users could see in `ps`."""
    line = sys.stdin.readline().rstrip("\r\n")
    try:
        return check_password_strength(line)
    except WeakPasswordError as error:
        fail(str(error))


def account_row(account: Account) -> dict[str, Any]:
    """The API's account without its `object` tag, which the CLI's `--json` has never printed (a contract)."""
    return pick(account_json(account), "id", "name", "email", "timezone")


@accounts_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Account name.")],
    email: Annotated[str, typer.Option(help="Account email.")],
    timezone: Annotated[str, typer.Option(help="Default timezone of new sites.")] = "UTC",
    password_stdin: PasswordStdinOption = False,
    as_json: JsonOption = False,
) -> None:
    """Create an account (with a dashboard password read from standard input if asked)."""
    if not name.strip() or "@" not in email:
        fail("an account needs a name and an email address")
    password = read_password_line() if password_stdin else None
    with metadata_store() as store:
        account = store.accounts.create(name, email, check_timezone(timezone))
        if password is not None:
            store.accounts.set_password(account.id, password)
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


@accounts_app.command("set-password")
def set_password(
    email: Annotated[str, typer.Option(help="Email of the account.")],
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Set the password an account signs in to the dashboard with (ends its signed-in sessions)."""
    if not password_stdin:
        fail("pass --password-stdin and give the password on standard input")
    password = read_password_line()
    with metadata_store() as store:
        account = store.accounts.find_by_email(email)
        if account is None:
            fail(f"no account has the email {email!r}")
        store.accounts.set_password(account.id, password)
    console.print(f"Set the dashboard password of [bold]{account.id}[/] ({account.email})")
