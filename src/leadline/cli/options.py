"""Options that several command groups share, and the checks that turn their text into values."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from leadline.api.models import Timezone
from leadline.cli.output import fail
from leadline.publishing.datasets import DATASETS

HostOption = Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")]
PortOption = Annotated[int | None, typer.Option(help="Port to bind (default 8000).")]
DatasetOption = Annotated[list[str] | None, typer.Option(help=f"Repeatable; default all: {', '.join(DATASETS)}.")]

_TIMEZONE = TypeAdapter(Timezone)


def check_timezone(value: str) -> str:
    """`value` if it is a TZ database name the API would accept too; else the command fails."""
    try:
        return _TIMEZONE.validate_python(value)
    except ValidationError:
        fail(f"unknown timezone {value!r}: use a TZ database name such as 'America/New_York' or 'UTC'")
