"""`leadline keys`: create, list and revoke API keys (secrets shown once), and rotate accounts' signing keys."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadline.api.permissions import PERMISSION_FORMS, parse_permission
from leadline.api.serializers import timestamp
from leadline.cli.output import JsonOption, fail, fail_on, print_result, print_rows
from leadline.cli.stores import metadata_store
from leadline.store.metadata.records import ApiKey, NotFoundError

keys_app = typer.Typer(help="Create, list and revoke API keys; rotate an account's signing key.", no_args_is_help=True)


def key_row(key: ApiKey) -> dict[str, Any]:
    """A key as `keys list` prints it. Keys are no object of the REST API, so this shape is the CLI's own."""
    return {
        "id": key.id,
        "name": key.name,
        "permissions": list(key.permissions),
        "created_at": timestamp(key.created_at),
        "revoked": key.revoked_at is not None,
    }


@keys_app.command("create")
def create(
    account: Annotated[str, typer.Option(help="Account that owns the key.")],
    permission: Annotated[list[str], typer.Option(help=f"Repeatable: {PERMISSION_FORMS}.")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create an API key; its secret is shown once."""
    with metadata_store() as store:
        with fail_on(NotFoundError, ValueError):
            store.accounts.get(account)
            grants = [parse_permission(text) for text in permission]
        for grant in grants:
            site = None if grant.site_id is None else store.sites.find(grant.site_id)
            if grant.site_id is not None and (site is None or site.account_id != account):
                fail(f"site {grant.site_id!r} is not a site of account {account}")
        issued = store.api_keys.create(account, [str(grant) for grant in grants], name=name)
    record = issued.record
    print_result(
        {"id": record.id, "key": issued.key, "permissions": list(record.permissions)},
        as_json,
        f"Created key [bold]{record.id}[/] with {', '.join(record.permissions)}",
        f"Key (shown once): {issued.key}",
    )


@keys_app.command("list")
def list_keys(
    account: Annotated[str, typer.Option(help="Account whose keys to list.")], as_json: JsonOption = False
) -> None:
    """List an account's keys (never their secrets)."""
    with metadata_store() as store:
        keys = store.api_keys.list_for_account(account)
    columns = ["id", "name", "permissions", "created_at", "revoked"]
    print_rows([key_row(key) for key in keys], as_json, f"API keys of {account}", columns)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="Id of the key to revoke.")], as_json: JsonOption = False
) -> None:
    """Revoke a key: it stops working at once."""
    with metadata_store() as store, fail_on(NotFoundError):
        key = store.api_keys.revoke(key_id)
    print_result({"id": key.id, "revoked": True}, as_json, f"Revoked key [bold]{key.id}[/]")


@keys_app.command("rotate-signing")
def rotate_signing(
    account: Annotated[str, typer.Option(help="Account whose publications the new key signs.")],
    as_json: JsonOption = False,
) -> None:
    """Make a new signing key for an account's publications; older keys stay listed to verify what they signed."""
    with metadata_store() as store:
        with fail_on(NotFoundError):
            store.accounts.get(account)
        key = store.signing_keys.rotate(account)
    print_result(
        {"id": key.id, "account_id": key.account_id, "algorithm": key.algorithm, "public_key": key.public_key},
        as_json,
        f"Created signing key [bold]{key.id}[/] ({key.algorithm}); it signs publications of {account} from now on",
        f"Public key: {key.public_key}",
    )
