"""`leadline integrations`: create, list, rotate and revoke Integration API (OAuth2) clients."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadline.api.serializers import integration_client_json, issued_client_json
from leadline.cli.options import DatasetOption
from leadline.cli.output import Column, JsonOption, fail_on, pick, print_result, print_rows
from leadline.cli.stores import metadata_store
from leadline.publishing.datasets import DATASETS, UnknownDatasetError, check_dataset_names
from leadline.store.metadata.integration_clients import IssuedClient
from leadline.store.metadata.records import IntegrationClient, NotFoundError

integrations_app = typer.Typer(
    help="Create, list, rotate and revoke Integration API (OAuth2) clients.", no_args_is_help=True
)

ClientIdArgument = Annotated[str, typer.Argument(help="Id of the client.")]


def client_row(client: IntegrationClient) -> dict[str, Any]:
    """A client as `integrations list` prints it: the CLI's older shape (a contract) built from the API's.

    It has no `id`/`object`, adds the owning account, and says `revoked` as a boolean where the API gives
    `revoked_at`.
    """
    extra = {"account_id": client.account_id, "revoked": client.revoked_at is not None}
    keys = ("client_id", "account_id", "site_id", "name", "datasets", "created_at", "revoked")
    return pick(integration_client_json(client) | extra, *keys)


def credentials_row(issued: IssuedClient) -> dict[str, Any]:
    """Exactly the two values a token request needs, the secret shown once: what scripts read (a contract)."""
    return pick(issued_client_json(issued), "client_id", "client_secret")


@integrations_app.command("create-client")
def create_client(
    account: Annotated[str, typer.Option(help="Account that owns the client.")],
    site: Annotated[str, typer.Option(help="The account's site whose datasets the client reads.")],
    dataset: DatasetOption = None,
    name: Annotated[str, typer.Option(help="A label to recognise the client by.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create an OAuth2 client; its secret is shown once."""
    with metadata_store() as store, fail_on(NotFoundError, UnknownDatasetError):
        store.accounts.get(account)
        names = check_dataset_names(dataset) if dataset else tuple(DATASETS)
        issued = store.integration_clients.create(account, site, names, name=name)
    print_result(
        credentials_row(issued),
        as_json,
        f"Created client [bold]{issued.client.id}[/] for {', '.join(issued.client.datasets)}",
        f"Client secret (shown once): {issued.secret}",
    )


@integrations_app.command("list")
def list_clients(
    account: Annotated[str, typer.Option(help="Account whose clients to list.")], as_json: JsonOption = False
) -> None:
    """List an account's clients (never their secrets)."""
    with metadata_store() as store:
        clients = store.integration_clients.list_for_account(account)
    columns: list[Column] = ["client_id", "name", ("site", "site_id"), "datasets", "created_at", "revoked"]
    print_rows([client_row(client) for client in clients], as_json, f"Clients of {account}", columns)


@integrations_app.command("rotate")
def rotate(client_id: ClientIdArgument, as_json: JsonOption = False) -> None:
    """Give a client a new secret (shown once); the old secret and its tokens stop working."""
    with metadata_store() as store, fail_on(NotFoundError):
        issued = store.integration_clients.rotate(client_id)
    print_result(
        credentials_row(issued),
        as_json,
        f"New secret for client [bold]{issued.client.id}[/] (shown once): {issued.secret}",
    )


@integrations_app.command("revoke")
def revoke(client_id: ClientIdArgument, as_json: JsonOption = False) -> None:
    """Revoke a client: its secret and tokens stop working at once."""
    with metadata_store() as store, fail_on(NotFoundError):
        client = store.integration_clients.revoke(client_id)
    print_result({"client_id": client.id, "revoked": True}, as_json, f"Revoked client [bold]{client.id}[/]")
