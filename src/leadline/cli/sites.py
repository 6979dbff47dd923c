"""`leadline sites`: create and list sites."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadline.api.serializers import site_json
from leadline.cli.options import check_timezone
from leadline.cli.output import Column, JsonOption, fail_on, pick, print_result, print_rows
from leadline.cli.stores import metadata_store
from leadline.store.metadata.records import NotFoundError, Site
from leadline.store.metadata.sites import InvalidSiteSettingsError

sites_app = typer.Typer(help="Create and list sites.", no_args_is_help=True)

# The CLI's `--json` keeps its own, older shapes (a contract): a few of the API's keys, plus the owner, which
# the API leaves implicit because a key only ever sees its own account's sites.
LISTED_KEYS = ("id", "name", "account_id", "sharing", "timezone")
CREATED_KEYS = ("id", "name", "account_id", "timezone")


def site_row(site: Site, keys: tuple[str, ...] = LISTED_KEYS) -> dict[str, Any]:
    """The API's site with its account id, narrowed to `keys`."""
    return pick(site_json(site) | {"account_id": site.account_id}, *keys)


@sites_app.command("create")
def create(
    account: Annotated[str, typer.Option(help="Account that owns the site.")],
    name: Annotated[str, typer.Option(help="Site name.")],
    timezone: Annotated[str | None, typer.Option(help="Reporting timezone (default: the account's).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a site."""
    with metadata_store() as store, fail_on(NotFoundError, InvalidSiteSettingsError):
        owner = store.accounts.get(account)
        changes: dict[str, Any] = {"name": name}
        if timezone is not None:
            changes["timezone"] = check_timezone(timezone)
        site = store.sites.create(owner.id, changes, default_timezone=owner.timezone)
    print_result(site_row(site, CREATED_KEYS), as_json, f"Created site [bold]{site.id}[/] ({site.name})")


@sites_app.command("list")
def list_sites(
    account: Annotated[str | None, typer.Option(help="Only this account's sites.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List sites."""
    with metadata_store() as store:
        sites = store.sites.list_all(account)
    columns: list[Column] = ["id", "name", ("account", "account_id"), "sharing", "timezone"]
    print_rows([site_row(site) for site in sites], as_json, "Sites", columns)
