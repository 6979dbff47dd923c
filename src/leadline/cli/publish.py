"""`leadline publish`: publish (hash and sign) one closed day of a site's datasets now."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from leadline.admin.publish import PublishRefusedError, publish_day
from leadline.cli.options import DatasetOption
from leadline.cli.output import JsonOption, fail, fail_on, print_result
from leadline.cli.running_server import ask_running_server, busy_message
from leadline.cli.stores import load_settings, metadata_store, private_data_dir
from leadline.config import Settings
from leadline.publishing.publisher import Publisher
from leadline.store.events import EventStoreBusyError, open_event_store


def publish(
    site: Annotated[str, typer.Option(help="The site whose datasets to publish.")],
    day: Annotated[str, typer.Option("--date", help="The closed day, YYYY-MM-DD in the site's timezone.")],
    dataset: DatasetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish one closed day of a site's datasets now; unchanged rows keep their publication.

    While a server runs on the embedded store, that server publishes (asked over its admin socket).
    """
    try:
        chosen_day = date.fromisoformat(day)
    except ValueError:
        fail(f"--date must be a day YYYY-MM-DD, not {day!r}")
    settings = load_settings()
    request = {"command": "publish", "site": site, "date": chosen_day.isoformat(), "datasets": dataset}
    answer = ask_running_server(settings, request)
    summary = publish_here(settings, site, chosen_day, dataset) if answer is None else answer
    summary = {key: summary[key] for key in ("site_id", "day", "publications")}
    print_result(summary, as_json, *(_outcome_line(row) for row in summary["publications"]))


def publish_here(settings: Settings, site: str, day: date, datasets: list[str] | None) -> dict[str, Any]:
    """With no server running: open the stores in this process and publish."""
    private_data_dir(settings)
    with metadata_store(settings) as store:
        try:
            events = open_event_store(settings.event_store_url)
        except EventStoreBusyError:
            fail(busy_message(settings))
        try:
            with fail_on(PublishRefusedError):
                return publish_day(Publisher(store, events), store.sites, site, day, datasets)
        finally:
            events.close()


def _outcome_line(row: dict[str, Any]) -> str:
    state = "published" if row["created"] else "unchanged, kept"
    return (
        f"{row['dataset']} {row['day']} v{row['version']}: {state} "
        f"[bold]{row['id']}[/] ({row['row_count']} rows, sha256 {row['rows_sha256'][:16]}...)"
    )
