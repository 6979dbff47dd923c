"""`leadline export` and `leadline import`: a site's hits as one Parquet file per UTC day, and back.

A running server on the embedded store does the work itself (asked over the admin socket, with the
directory handed over as an open descriptor); with no server running the command opens the stores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from leadline.cli.output import JsonOption, fail, fail_on, print_result
from leadline.cli.progress import progress_bars
from leadline.cli.running_server import ask_running_server, busy_message
from leadline.cli.stores import load_settings, metadata_store, private_data_dir
from leadline.config import Settings
from leadline.store.events import EventStore, EventStoreBusyError, EventStoreUnavailableError, open_event_store
from leadline.store.files import ensure_private_directory
from leadline.store.metadata.store import MetadataStore
from leadline.store.transfer.directory import TransferError
from leadline.store.transfer.history import export_history, import_history

SiteOption = Annotated[str, typer.Option("--site", help="The site's id.")]


def export(
    site: SiteOption,
    out: Annotated[Path, typer.Option("--out", help="A new or empty directory to write the files and manifest into.")],
    first: Annotated[
        str | None, typer.Option("--from", help="The first UTC day, YYYY-MM-DD (default: the first).")
    ] = None,
    last: Annotated[str | None, typer.Option("--to", help="The last UTC day, YYYY-MM-DD (default: the last).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Export a site's hits: one Parquet file per UTC day and a manifest (row counts, SHA-256 of each file)."""
    first_day, last_day = optional_day(first, "--from"), optional_day(last, "--to")
    settings = load_settings()
    out = out.resolve()
    try:
        ensure_private_directory(out)
    except OSError as error:
        fail(f"cannot make {out}: {error.strerror}")
    request = {"command": "export", "site": site, "from": first, "to": last}
    with open_directory(out) as directory:
        answer = ask_running_server(settings, request, [directory])
        if answer is not None:
            manifest: dict[str, Any] = answer["manifest"]
        else:
            with (
                events_here(settings) as (metadata, events),
                progress_bars() as progress,
                fail_on(TransferError, EventStoreUnavailableError),
            ):
                manifest = export_history(
                    metadata,
                    events,
                    site,
                    directory,
                    first_day,
                    last_day,
                    lambda done, total: progress("Exporting days", done, total),
                )
    line = f"Exported {manifest['rows']:,} hits of site {site} ({len(manifest['files'])} days) to {escape(str(out))}."
    print_result({"path": str(out), "manifest": manifest}, as_json, line)


def import_history_command(
    directory: Annotated[Path, typer.Argument(help="A directory written by `leadline export`.")],
    site: SiteOption,
    as_json: JsonOption = False,
) -> None:
    """Import an export into a site (any site: the hits take its id), checking every file first; idempotent."""
    settings = load_settings()
    with open_directory(directory.resolve()) as opened:
        answer = ask_running_server(settings, {"command": "import", "site": site}, [opened])
        if answer is not None:
            summary: dict[str, Any] = answer["import"]
        else:
            with (
                events_here(settings) as (metadata, events),
                progress_bars() as progress,
                fail_on(TransferError, EventStoreUnavailableError),
            ):
                summary = import_history(
                    metadata, events, site, opened, lambda done, total: progress("Importing days", done, total)
                )
    line = (
        f"Imported {summary['rows']:,} hits from {summary['files']} files into site {site}: "
        f"{summary['files_stored']} files stored now, {summary['files_already_stored']} stored before."
    )
    print_result(summary, as_json, line)


def optional_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a day YYYY-MM-DD, not {text!r}")


@contextmanager
def open_directory(path: Path) -> Iterator[int]:
    """An open descriptor of the directory (what the server is handed), closed on leaving."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        fail(f"cannot open the directory {path}: {error.strerror}")
    try:
        yield descriptor
    finally:
        os.close(descriptor)


@contextmanager
def events_here(settings: Settings) -> Iterator[tuple[MetadataStore, EventStore]]:
    """With no server running: both stores, opened in this process."""
    private_data_dir(settings)
    with metadata_store(settings) as metadata:
        try:
            events = open_event_store(settings.event_store_url)
        except EventStoreBusyError:
            fail(busy_message(settings))
        try:
            yield metadata, events
        finally:
            events.close()
