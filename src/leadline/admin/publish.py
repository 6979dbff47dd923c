"""Publishing one closed day on request: the same answer whether the server or the command itself publishes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from leadline.publishing.datasets import DATASETS, UnknownDatasetError
from leadline.publishing.publisher import DayNotClosedError, Publisher, PublishOutcome
from leadline.store.metadata.sites import SiteRepository


class PublishRefusedError(Exception):
    """A publish request that cannot be done (no such site, a day not closed, an unknown dataset)."""


def publication_row(outcome: PublishOutcome) -> dict[str, Any]:
    """A publication as `leadline publish` prints it. The REST API has no publication object and GraphQL's is
    camelCase, so this snake_case shape is the CLI's own (a contract)."""
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


def publish_day(
    publisher: Publisher, sites: SiteRepository, site_id: str, day: date, datasets: Sequence[str] | None
) -> dict[str, Any]:
    """Publish `day` of the site's datasets (all when None); the summary `leadline publish --json` prints."""
    site = sites.find(site_id)
    if site is None:
        raise PublishRefusedError(f"no site {site_id!r}")
    try:
        outcomes = publisher.publish(site, day, tuple(datasets or DATASETS))
    except (DayNotClosedError, UnknownDatasetError) as error:
        raise PublishRefusedError(str(error)) from error
    return {
        "site_id": site.id,
        "day": day.isoformat(),
        "publications": [publication_row(outcome) for outcome in outcomes],
    }
