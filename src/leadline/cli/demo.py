"""`leadline demo`: a demo account, site and full-access key (and synthetic traffic if asked), then serve.

The dashboard password is new at every start and printed with the rest: a fixed one would be the same
on every demo anyone leaves running on a reachable address.
"""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer

from leadline.cli.event_stores import open_stores
from leadline.cli.options import HostOption, PortOption
from leadline.cli.output import console, errors
from leadline.cli.serve import run_server
from leadline.cli.stores import load_settings, metadata_store

DEMO_EMAIL = "demo@leadline.invalid"


def demo(
    host: HostOption = None,
    port: PortOption = None,
    hits: Annotated[
        int, typer.Option(min=0, help="Fill the demo site with this many synthetic hits over six months, once.")
    ] = 0,
) -> None:
    """Create a demo account (with a new dashboard password), site and full-access key, print them, then serve."""
    settings = load_settings(host=host, port=port)
    with metadata_store(settings) as store:
        account = store.accounts.find_by_email(DEMO_EMAIL) or store.accounts.create("Demo", DEMO_EMAIL)
        sites = store.sites.list_all(account.id)
        site = sites[0] if sites else store.sites.create(account.id, {"name": "Demo site"})
        issued = store.api_keys.create(account.id, ["*"], name="demo")
        password = secrets.token_urlsafe(12)
        store.accounts.set_password(account.id, password)
    if hits > 0:
        from leadline.traffic.demo import fill_demo_site  # only now: it loads the event store's dependencies

        with open_stores(settings) as stores:  # closed before serving: the server will hold the DuckDB file
            fill_demo_site(stores, site, hits, errors)
    base = f"http://{settings.host}:{settings.port}"
    console.print("[bold]Leadline demo[/] (data in " + str(settings.data_dir.resolve()) + ")")
    console.print(f"Account:  {account.id}")
    console.print(f"Site ID:  {site.id}")
    console.print(f"API key:  {issued.key}")
    console.print(f"API:      {base}/v1/account")
    console.print(f"OpenAPI:  {base}/v1/openapi.json")
    console.print(f"Sign in:  {base}/login as {account.email} with password {password}")
    console.print(f"Try:      curl -H 'Authorization: Bearer {issued.key}' {base}/v1/sites")
    sys.stdout.flush()  # the lines must be out before uvicorn takes over: scripts read them from a pipe
    run_server(settings)
