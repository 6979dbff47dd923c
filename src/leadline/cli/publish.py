"""`leadline publish`: publish (hash and sign) one closed day of a site's datasets now."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from leadline.cli.options import DatasetOption
from leadline.cli.output import JsonOption, fail, fail_on, print_result
from leadline.cli.stores import event_store, load_settings, metadata_store
from leadline.publishing.datasets import DATASETS, UnknownDatasetError
from leadline.publishing.publisher import DayNotClosedError, Publisher, PublishOutcome


def publication_row(outcome: PublishOutcome) -> dict[str, Any]:
    """A publication as the CLI prints it. The REST API has no publication object and GraphQL's is camelCase,
    so this snake_case shape is the CLI's own (a contract)."""
    publication = outcome.publication
    return {
        "id": publication.id,
        "dataset": publication.dataset,
        "dataset_id": publication.dataset_id,
        "day": publication.day.isoformat(),
        "version": publication.version,
        "supersedes_id": publication.supersedes_id,
        "created": outcome.created,
        "row_count": publication.row_count,
        "rows_sha256": publication.rows_sha256,
        "signature_id": publication.signature_id,
        "signer_email": publication.signer_email,
        "timestamp_iso8601": publication.timestamp_iso8601,
    }


def publish(
    site: Annotated[str, typer.Option(help="The site whose datasets to publish.")],
    day: Annotated[str, typer.Option("--date", help="The closed day, YYYY-MM-DD in the site's timezone.")],
    dataset: DatasetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish one closed day of a site's datasets now; unchanged rows keep their publication.

    Works on the stores directly: with the embedded DuckDB store, run it while the server is stopped.
    """
    try:
        chosen_day = date.fromisoformat(day)
    except ValueError:
        fail(f"--date must be a day YYYY-MM-DD, not {day!r}")
    settings = load_settings()
    with metadata_store(settings) as store:
        found = store.sites.find(site)
        if found is None:
            fail(f"no site {site!r}")
        with event_store(settings) as events:
            publisher = Publisher(store, events)
            with fail_on(DayNotClosedError, UnknownDatasetError):
                outcomes = publisher.publish(found, chosen_day, dataset or tuple(DATASETS))
    summary = {
        "site_id": found.id,
        "day": chosen_day.isoformat(),
        "publications": [publication_row(outcome) for outcome in outcomes],
    }
    print_result(summary, as_json, *(_outcome_line(outcome) for outcome in outcomes))


def _outcome_line(outcome: PublishOutcome) -> str:
    publication = outcome.publication
    state = "published" if outcome.created else "unchanged, kept"
    return (
        f"{publication.dataset} {publication.day} v{publication.version}: {state} "
        f"[bold]{publication.id}[/] ({publication.row_count} rows, sha256 {publication.rows_sha256[:16]}...)"
    )
