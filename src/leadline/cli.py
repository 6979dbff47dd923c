"""The `leadline` command: serve, demo, and the operator commands for accounts, keys, sites and integrations."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any, NoReturn

import typer
import uvicorn
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table

from leadline import __version__
from leadline.api.models import Timezone
from leadline.api.permissions import PERMISSION_FORMS, parse_permission
from leadline.client.cli import remote_app
from leadline.config import Settings
from leadline.integrations.clients import IntegrationClient, IntegrationClientRepository
from leadline.integrations.datasets import DATASETS, UnknownDatasetError
from leadline.integrations.publications import Publication
from leadline.integrations.publisher import DayNotClosedError
from leadline.integrations.service import build_integrations
from leadline.store.events import EventStoreBusyError, open_event_store
from leadline.store.metadata.records import NotFoundError
from leadline.store.metadata.sites import InvalidSiteSettingsError
from leadline.store.metadata.store import MetadataStore, open_metadata_store

app = typer.Typer(
    help="Leadline: cookie-free web analytics that speaks the Fathom Analytics API.", no_args_is_help=True
)
accounts_app = typer.Typer(help="Create and list accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
sites_app = typer.Typer(help="Create and list sites.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(sites_app, name="sites")
integrations_app = typer.Typer(
    help="Create, list, rotate and revoke Integration API (OAuth2) clients.", no_args_is_help=True
)
app.add_typer(integrations_app, name="integrations")
app.add_typer(remote_app, name="remote")

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
DEMO_EMAIL = "demo@leadline.invalid"


def _fail(message: str) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as error:
        _fail(f"invalid settings: {error}")


def _metadata() -> MetadataStore:
    return open_metadata_store(_settings().metadata_url)


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


def _check_timezone(value: str) -> str:
    try:
        return TypeAdapter(Timezone).validate_python(value)
    except ValidationError:
        _fail(f"unknown timezone {value!r}: use a TZ database name such as 'America/New_York' or 'UTC'")


@app.command()
def version() -> None:
    """Print Leadline's version."""
    console.print(__version__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default 1).")] = None,
) -> None:
    """Serve the tracking endpoint, the REST API and the dashboard."""
    settings = _settings(host=host, port=port, workers=workers)
    _run_server(settings)


def _run_server(settings: Settings) -> None:
    if settings.workers > 1 and settings.event_store_url.startswith("duckdb:"):
        _fail("the embedded DuckDB event store is single-process: use --workers 1, or LEADLINE_EVENTS_URL for a server")
    open_metadata_store(settings.metadata_url).close()  # migrate once, before any worker starts
    uvicorn.run(
        "leadline.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,  # uvicorn's access log records client addresses; ours does not
        log_level=settings.log_level,
        server_header=False,
    )


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default 8000).")] = None,
    hits: Annotated[
        int, typer.Option(min=0, help="Fill the demo site with this many synthetic hits over six months, once.")
    ] = 0,
) -> None:
    """Create a demo account, site and full-access key, print them, then serve."""
    settings = _settings(host=host, port=port)
    store = open_metadata_store(settings.metadata_url)
    account = store.accounts.find_by_email(DEMO_EMAIL) or store.accounts.create("Demo", DEMO_EMAIL)
    sites = store.sites.list_all(account.id)
    site = sites[0] if sites else store.sites.create(account.id, {"name": "Demo site"})
    issued = store.api_keys.create(account.id, ["*"], name="demo")
    store.close()
    if hits > 0:
        from leadline.traffic.demo import fill_demo_site  # only now: it loads the event store's dependencies

        fill_demo_site(settings, site, hits, errors)  # before serving: the server will hold the DuckDB file
    base = f"http://{settings.host}:{settings.port}"
    console.print("[bold]Leadline demo[/] (data in " + str(settings.data_dir.resolve()) + ")")
    console.print(f"Account:  {account.id}")
    console.print(f"Site ID:  {site.id}")
    console.print(f"API key:  {issued.key}")
    console.print(f"API:      {base}/v1/account")
    console.print(f"OpenAPI:  {base}/v1/openapi.json")
    console.print(f"Try:      curl -H 'Authorization: Bearer {issued.key}' {base}/v1/sites")
    sys.stdout.flush()
    _run_server(settings)


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option(help="Account name.")],
    email: Annotated[str, typer.Option(help="Account email.")],
    timezone: Annotated[str, typer.Option(help="Default timezone of new sites.")] = "UTC",
    as_json: JsonOption = False,
) -> None:
    """Create an account."""
    if not name.strip() or "@" not in email:
        _fail("an account needs a name and an email address")
    account = _metadata().accounts.create(name, email, _check_timezone(timezone))
    if as_json:
        _print_json({"id": account.id, "name": account.name, "email": account.email, "timezone": account.timezone})
    else:
        console.print(f"Created account [bold]{account.id}[/] ({account.name} <{account.email}>)")


@accounts_app.command("list")
def accounts_list(as_json: JsonOption = False) -> None:
    """List accounts."""
    accounts = _metadata().accounts.list_all()
    if as_json:
        _print_json([{"id": a.id, "name": a.name, "email": a.email, "timezone": a.timezone} for a in accounts])
        return
    table = Table("id", "name", "email", "timezone", title="Accounts")
    for account in accounts:
        table.add_row(account.id, account.name, account.email, account.timezone)
    console.print(table)


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="Account that owns the key.")],
    permission: Annotated[list[str], typer.Option(help=f"Repeatable: {PERMISSION_FORMS}.")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create an API key; its secret is shown once."""
    store = _metadata()
    try:
        store.accounts.get(account)
        grants = [parse_permission(text) for text in permission]
    except (NotFoundError, ValueError) as error:
        _fail(str(error))
    for grant in grants:
        site = None if grant.site_id is None else store.sites.find(grant.site_id)
        if grant.site_id is not None and (site is None or site.account_id != account):
            _fail(f"site {grant.site_id!r} is not a site of account {account}")
    issued = store.api_keys.create(account, [str(grant) for grant in grants], name=name)
    if as_json:
        _print_json({"id": issued.record.id, "key": issued.key, "permissions": list(issued.record.permissions)})
    else:
        console.print(f"Created key [bold]{issued.record.id}[/] with {', '.join(issued.record.permissions)}")
        console.print(f"Key (shown once): {issued.key}")


@keys_app.command("list")
def keys_list(
    account: Annotated[str, typer.Option(help="Account whose keys to list.")], as_json: JsonOption = False
) -> None:
    """List an account's keys (never their secrets)."""
    keys = _metadata().api_keys.list_for_account(account)
    if as_json:
        _print_json(
            [
                {
                    "id": key.id,
                    "name": key.name,
                    "permissions": list(key.permissions),
                    "created_at": key.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    "revoked": key.revoked_at is not None,
                }
                for key in keys
            ]
        )
        return
    table = Table("id", "name", "permissions", "created_at", "revoked", title=f"API keys of {account}")
    for key in keys:
        created = key.created_at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(key.id, key.name, " ".join(key.permissions), created, str(key.revoked_at is not None))
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="Id of the key to revoke.")], as_json: JsonOption = False
) -> None:
    """Revoke a key: it stops working at once."""
    try:
        key = _metadata().api_keys.revoke(key_id)
    except NotFoundError as error:
        _fail(str(error))
    if as_json:
        _print_json({"id": key.id, "revoked": True})
    else:
        console.print(f"Revoked key [bold]{key.id}[/]")


@sites_app.command("create")
def sites_create(
    account: Annotated[str, typer.Option(help="Account that owns the site.")],
    name: Annotated[str, typer.Option(help="Site name.")],
    timezone: Annotated[str | None, typer.Option(help="Reporting timezone (default: the account's).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a site."""
    store = _metadata()
    try:
        owner = store.accounts.get(account)
        changes: dict[str, Any] = {"name": name}
        if timezone is not None:
            changes["timezone"] = _check_timezone(timezone)
        site = store.sites.create(owner.id, changes, default_timezone=owner.timezone)
    except (NotFoundError, InvalidSiteSettingsError) as error:
        _fail(str(error))
    if as_json:
        _print_json({"id": site.id, "name": site.name, "account_id": site.account_id, "timezone": site.timezone})
    else:
        console.print(f"Created site [bold]{site.id}[/] ({site.name})")


@sites_app.command("list")
def sites_list(
    account: Annotated[str | None, typer.Option(help="Only this account's sites.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List sites."""
    sites = _metadata().sites.list_all(account)
    rows = [
        {"id": s.id, "name": s.name, "account_id": s.account_id, "sharing": s.sharing, "timezone": s.timezone}
        for s in sites
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "name", "account", "sharing", "timezone", title="Sites")
    for row in rows:
        table.add_row(row["id"], row["name"], row["account_id"], row["sharing"], row["timezone"])
    console.print(table)


def _client_json(client: IntegrationClient) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "account_id": client.account_id,
        "site_id": client.site_id,
        "name": client.name,
        "datasets": list(client.datasets),
        "created_at": client.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "revoked": client.revoked_at is not None,
    }


@integrations_app.command("create-client")
def integrations_create_client(
    account: Annotated[str, typer.Option(help="Account that owns the client.")],
    site: Annotated[str, typer.Option(help="The account's site whose datasets the client reads.")],
    dataset: Annotated[list[str] | None, typer.Option(help=f"Repeatable; default all: {', '.join(DATASETS)}.")] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the client by.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create an OAuth2 client; its secret is shown once."""
    store = _metadata()
    try:
        store.accounts.get(account)
        issued = IntegrationClientRepository(store.engine).create(account, site, dataset or (), name=name)
    except (NotFoundError, UnknownDatasetError) as error:
        _fail(str(error))
    if as_json:
        _print_json({"client_id": issued.client.id, "client_secret": issued.secret})
    else:
        console.print(f"Created client [bold]{issued.client.id}[/] for {', '.join(issued.client.datasets)}")
        console.print(f"Client secret (shown once): {issued.secret}")


@integrations_app.command("list")
def integrations_list(
    account: Annotated[str, typer.Option(help="Account whose clients to list.")], as_json: JsonOption = False
) -> None:
    """List an account's clients (never their secrets)."""
    clients = IntegrationClientRepository(_metadata().engine).list_for_account(account)
    rows = [_client_json(client) for client in clients]
    if as_json:
        _print_json(rows)
        return
    table = Table("client_id", "name", "site", "datasets", "created_at", "revoked", title=f"Clients of {account}")
    for row in rows:
        table.add_row(
            row["client_id"],
            row["name"],
            row["site_id"],
            " ".join(row["datasets"]),
            row["created_at"],
            str(row["revoked"]),
        )
    console.print(table)


@integrations_app.command("rotate")
def integrations_rotate(
    client_id: Annotated[str, typer.Argument(help="Id of the client.")], as_json: JsonOption = False
) -> None:
    """Give a client a new secret (shown once); the old secret and its tokens stop working."""
    try:
        issued = IntegrationClientRepository(_metadata().engine).rotate(client_id)
    except NotFoundError as error:
        _fail(str(error))
    if as_json:
        _print_json({"client_id": issued.client.id, "client_secret": issued.secret})
    else:
        console.print(f"New secret for client [bold]{issued.client.id}[/] (shown once): {issued.secret}")


@integrations_app.command("revoke")
def integrations_revoke(
    client_id: Annotated[str, typer.Argument(help="Id of the client.")], as_json: JsonOption = False
) -> None:
    """Revoke a client: its secret and tokens stop working at once."""
    try:
        client = IntegrationClientRepository(_metadata().engine).revoke(client_id)
    except NotFoundError as error:
        _fail(str(error))
    if as_json:
        _print_json({"client_id": client.id, "revoked": True})
    else:
        console.print(f"Revoked client [bold]{client.id}[/]")


@app.command()
def publish(
    site: Annotated[str, typer.Option(help="The site whose datasets to publish.")],
    day: Annotated[str, typer.Option("--date", help="The closed day, YYYY-MM-DD in the site's timezone.")],
    dataset: Annotated[list[str] | None, typer.Option(help=f"Repeatable; default all: {', '.join(DATASETS)}.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Publish one closed day of a site's datasets now; unchanged rows keep their publication.

    Works on the stores directly: with the embedded DuckDB store, run it while the server is stopped.
    """
    try:
        chosen_day = date.fromisoformat(day)
    except ValueError:
        _fail(f"--date must be a day YYYY-MM-DD, not {day!r}")
    settings = _settings()
    store = open_metadata_store(settings.metadata_url)
    found = store.sites.find(site)
    if found is None:
        _fail(f"no site {site!r}")
    try:
        event_store = open_event_store(settings.event_store_url)
    except EventStoreBusyError as error:
        _fail(str(error))
    try:
        outcomes = build_integrations(settings, store, event_store).publisher.publish(
            found, chosen_day, dataset or tuple(DATASETS)
        )
    except (DayNotClosedError, UnknownDatasetError) as error:
        _fail(str(error))
    finally:
        event_store.close()
        store.close()
    if as_json:
        _print_json(
            {
                "site_id": found.id,
                "day": chosen_day.isoformat(),
                "publications": [_publication_json(outcome.publication, outcome.created) for outcome in outcomes],
            }
        )
        return
    for outcome in outcomes:
        publication = outcome.publication
        state = "published" if outcome.created else "unchanged, kept"
        console.print(
            f"{publication.dataset} {publication.day} v{publication.version}: {state} "
            f"[bold]{publication.id}[/] ({publication.row_count} rows, sha256 {publication.rows_sha256[:16]}...)"
        )


def _publication_json(publication: Publication, created: bool) -> dict[str, Any]:
    return {
        "id": publication.id,
        "dataset": publication.dataset,
        "dataset_id": publication.dataset_id,
        "day": publication.day.isoformat(),
        "version": publication.version,
        "supersedes_id": publication.supersedes_id,
        "created": created,
        "row_count": publication.row_count,
        "rows_sha256": publication.rows_sha256,
        "signature_id": publication.signature_id,
        "signer_email": publication.signer_email,
        "timestamp_iso8601": publication.timestamp_iso8601,
    }


def main() -> None:
    app()
