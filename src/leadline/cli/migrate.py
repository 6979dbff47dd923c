"""`leadline migrate --from DATA_DIR`: move an embedded deployment into the stores this configuration names.

The copying is `leadline.store.transfer.migrate`'s; this command opens both sides, draws the progress bars,
prints the counts per site and day it ends with, and exits 1 when they differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from leadline.cli.event_stores import event_store
from leadline.cli.output import JsonOption, console, errors, fail, fail_on, print_json
from leadline.cli.progress import progress_bars
from leadline.cli.stores import load_settings, metadata_store, private_data_dir
from leadline.config import Settings
from leadline.store.events import EventStoreBusyError, EventStoreUnavailableError, open_event_store
from leadline.store.metadata.store import open_metadata_store
from leadline.store.secret_key import SecretKeyError, sealing_key
from leadline.store.snapshots import sqlite_file
from leadline.store.transfer.directory import TransferError
from leadline.store.transfer.metadata_copy import COPIED_TABLES
from leadline.store.transfer.migrate import (
    SOURCE_EVENTS_NAME,
    SOURCE_METADATA_NAME,
    MigrationReport,
    adopt_secret_key,
    migrate,
    source_events_url,
    source_metadata_url,
)

COUNTS_DIFFER = 1
_LABELS = {table.name: f"Copying {table.name}" for table in COPIED_TABLES} | {"hits": "Copying hits (days)"}


def migrate_command(
    source: Annotated[
        Path, typer.Option("--from", help="The data directory of the embedded deployment (stopped) to copy from.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Copy everything from an embedded data directory into the configured stores; a second run copies nothing twice.

    Ends by comparing hits per site and per UTC day in both; exits 1 when they differ.
    """
    settings = load_settings()
    source_dir = source.resolve()
    check_source(settings, source_dir)
    private_data_dir(settings)
    adopted = adopt_secret_key(settings, source_dir)
    if adopted is not None:
        errors.print(f"Copied the secret key file of {escape(str(source_dir))} to {escape(str(adopted))}.")
    source_metadata = open_metadata_store(source_metadata_url(source_dir))
    try:
        try:
            source_events = open_event_store(source_events_url(source_dir))
        except EventStoreBusyError:
            fail(f"a server still uses {source_dir}: stop it first (a migration copies from stores at rest)")
        try:
            with metadata_store(settings) as target, event_store(settings) as target_events:
                with fail_on(SecretKeyError):
                    key = sealing_key(settings)
                try:
                    with progress_bars(_LABELS) as progress, fail_on(TransferError):
                        report = migrate(
                            source_metadata.engine, source_events, target.engine, target_events, key, progress
                        )
                except EventStoreUnavailableError as error:
                    fail(f"{error}: run the migration again later; it goes on where it stopped, copying nothing twice")
        finally:
            source_events.close()
    finally:
        source_metadata.close()
    print_report(report, as_json)
    if not report.matches:
        raise typer.Exit(COUNTS_DIFFER)


def check_source(settings: Settings, source_dir: Path) -> None:
    """The source is an embedded data directory, and not the very stores the configuration names."""
    for name in (SOURCE_METADATA_NAME, SOURCE_EVENTS_NAME):
        if not (source_dir / name).is_file():
            fail(f"{source_dir} is not a Leadline data directory with embedded stores: it has no {name}")
    target_sqlite = sqlite_file(settings.metadata_url)
    target_events = settings.event_store_url.partition("://")[2].removeprefix("/")
    same_metadata = target_sqlite is not None and target_sqlite.resolve() == source_dir / SOURCE_METADATA_NAME
    same_events = settings.event_store_url.startswith("duckdb:") and (
        Path("/" + target_events.lstrip("/")).resolve() == source_dir / SOURCE_EVENTS_NAME
    )
    if same_metadata or same_events:
        fail(
            f"the configured stores are the ones in {source_dir}: set LEADLINE_DATABASE_URL and LEADLINE_EVENTS_URL "
            "(or LEADLINE_DATA_DIR) to the stores to copy into"
        )


def print_report(report: MigrationReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_json())
        return
    tables = Table("table", "source", "copied now", "target", title="Metadata rows")
    for copy in report.tables:
        tables.add_row(copy.table, str(copy.source), str(copy.copied), str(copy.target))
    console.print(tables)
    sites = Table("site", "days", "source hits", "target hits", "days copied now", "days differing", title="Hits")
    for site in report.sites:
        differing = site.differing_days
        sites.add_row(
            site.site_id,
            str(len(site.days)),
            f"{site.source:,}",
            f"{site.target:,}",
            str(site.days_copied),
            str(len(differing)),
        )
    console.print(sites)
    for site in report.sites:
        for day in site.differing_days:
            console.print(
                f"[red]differs:[/] site {site.site_id} on {day.day}: "
                f"{day.source} hits in the source, {day.target} in the target"
            )
    if report.matches:
        console.print("[green]Every row and every day's hits are in the target.[/]")
    else:
        errors.print("[bold red]error:[/] the counts differ (above)")
