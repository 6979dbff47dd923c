"""How every `leadline` command answers: a rich table or sentence, or one line of JSON; errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(soft_wrap=True)
# Progress bars and errors go here, so that stdout holds nothing but the answer (and `--json` stays parseable).
errors = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one line of JSON instead of a table.")]

USAGE_ERROR = 2
"""The exit code of the operator commands when they refuse (unknown id, bad option): click's usage-error code."""

# A table column: a key of the rows, or (header, key) where the header differs from the JSON key.
Column = str | tuple[str, str]


def fail(message: str, exit_code: int = USAGE_ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit; the message is text, never rich markup."""
    errors.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(exit_code)


@contextmanager
def fail_on(*refusals: type[Exception]) -> Iterator[None]:
    """Turn these exceptions into `fail(str(error))`: their messages are written for the person at the terminal."""
    try:
        yield
    except refusals as error:
        fail(str(error))


def print_json(value: object) -> None:
    """One JSON value on one line: written directly, since rich would wrap and colour it."""
    sys.stdout.write(json.dumps(value) + "\n")


def print_result(value: Mapping[str, Any], as_json: bool, *lines: str) -> None:
    """The JSON object with `--json`, else the lines (rich markup) for a person."""
    if as_json:
        print_json(value)
        return
    for line in lines:
        console.print(line)


def print_rows(rows: Sequence[Mapping[str, Any]], as_json: bool, title: str, columns: Sequence[Column]) -> None:
    """The rows as one JSON array with `--json`, else as a table with the given columns."""
    if as_json:
        print_json(list(rows))
        return
    pairs = [(column, column) if isinstance(column, str) else column for column in columns]
    table = Table(*(header for header, _ in pairs), title=title)
    for row in rows:
        table.add_row(*(cell_text(row.get(key)) for _, key in pairs))
    console.print(table)


def pick(value: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """Those keys of a JSON object, in that order: the CLI prints a narrower shape than the API for some objects."""
    return {key: value[key] for key in keys}


def cell_text(value: object) -> str:
    """A JSON value as a table cell: lists space-separated, null as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    return str(value)
