"""The `leadline` command: serve, demo, publish, backups, moving history, and the operator commands for accounts,
keys, sites and clients.

Each command's module is imported when that command runs (click's documented lazy-loading pattern), so a
command pays for its own imports only: `leadline accounts list` does not load the server, Arrow or the
ClickHouse driver. `leadline --help` imports them all, to list their help.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer import _click as click  # Typer 0.29 vendors click: its commands are of this module's types
from typer.core import TyperGroup

# Every command and group: name -> "module:attribute", in the order `leadline --help` lists them (the commands
# first, then the groups).
COMMANDS = {
    "version": "leadline.cli.serve:version",
    "serve": "leadline.cli.serve:serve",
    "demo": "leadline.cli.demo:demo",
    "publish": "leadline.cli.publish:publish",
    "backup": "leadline.cli.backup:backup",
    "restore": "leadline.cli.backup:restore",
    "vacuum": "leadline.cli.vacuum:vacuum",
    "export": "leadline.cli.history:export",
    "import": "leadline.cli.history:import_history_command",
    "migrate": "leadline.cli.migrate:migrate_command",
    "accounts": "leadline.cli.accounts:accounts_app",
    "keys": "leadline.cli.keys:keys_app",
    "sites": "leadline.cli.sites:sites_app",
    "integrations": "leadline.cli.integrations:integrations_app",
    "remote": "leadline.cli.remote:remote_app",
}


def load_command(name: str) -> click.Command:
    """The click command of COMMANDS[name], its module imported now."""
    module, attribute = COMMANDS[name].split(":")
    target = getattr(importlib.import_module(module), attribute)
    command: click.Command
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:  # a function: a Typer of one command is that command (completion is the root's option only)
        single = typer.Typer(add_completion=False)
        single.command(name=name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyCommands(MutableMapping[str, click.Command]):
    """The root group's commands: every name known at once, each command loaded on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError("the leadline commands are fixed")

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(TyperGroup):
    """Typer's group, whose commands are LazyCommands (the names for suggestions, the help for `--help`)."""

    def __init__(self, **attributes: Any) -> None:
        super().__init__(**attributes)
        self.commands = LazyCommands()


app = typer.Typer(
    cls=LazyGroup,
    help="Leadline: cookie-free web analytics that speaks the Fathom Analytics API.",
    no_args_is_help=True,
)


@app.callback()
def root() -> None:
    """Makes `app` a group whose commands are COMMANDS (Typer needs a callback or a command to build one)."""


def main() -> None:
    """The console script's entry point (`leadline = "leadline.cli:main"`)."""
    app()


__all__ = ["app", "main"]
