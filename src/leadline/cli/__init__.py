"""The `leadline` command: serve, demo, publish, backups, moving history, and the operator commands for accounts,
keys, sites and clients."""

from __future__ import annotations

import typer

from leadline.cli.accounts import accounts_app
from leadline.cli.backup import backup, restore
from leadline.cli.demo import demo
from leadline.cli.history import export, import_history_command
from leadline.cli.integrations import integrations_app
from leadline.cli.keys import keys_app
from leadline.cli.migrate import migrate_command
from leadline.cli.publish import publish
from leadline.cli.remote import remote_app
from leadline.cli.serve import serve, version
from leadline.cli.sites import sites_app

app = typer.Typer(
    help="Leadline: cookie-free web analytics that speaks the Fathom Analytics API.", no_args_is_help=True
)
# `leadline --help` lists them in this order: the commands first, then the groups.
app.command()(version)
app.command()(serve)
app.command()(demo)
app.command()(publish)
app.command()(backup)
app.command()(restore)
app.command()(export)
app.command(name="import")(import_history_command)
app.command(name="migrate")(migrate_command)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(sites_app, name="sites")
app.add_typer(integrations_app, name="integrations")
app.add_typer(remote_app, name="remote")


def main() -> None:
    """The console script's entry point (`leadline = "leadline.cli:main"`)."""
    app()


__all__ = ["app", "main"]
