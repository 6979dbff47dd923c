"""The Query resolvers: check arguments, read through the client's view, shape the answer with mapping.py.

graphql-core passes arguments by their GraphQL names, so parameters are spelled as in schema.graphql.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from leadline.integrations.context import Integrations
from leadline.integrations.graphql import mapping
from leadline.integrations.graphql.access import not_visible, visible_publication
from leadline.integrations.graphql.cursors import row_cursor, row_offset
from leadline.integrations.graphql.mapping import GraphQLObject
from leadline.publishing.datasets import dataset_id
from leadline.publishing.publications import Publication
from leadline.store.metadata.records import IntegrationClient

MAX_LAST_N_DAYS = 3660
MAX_DAY_RANGE = 400
DEFAULT_DAY_RANGE = 31
MAX_PAGE = 5000

Info = GraphQLResolveInfo[Any]


@dataclass(frozen=True)
class Viewer:
    """One authenticated client's view of the deployment: the root value every Query resolver receives."""

    client: IntegrationClient
    integrations: Integrations
    base_url: str

    def visible(self, publication_id: str) -> Publication:
        """The publication, or a GraphQLError that does not say whether it exists for someone else."""
        found = visible_publication(self.integrations, self.client, publication_id)
        if found is None:
            raise GraphQLError(not_visible(publication_id))
        return found


def _day(text: str | None, name: str, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise GraphQLError(f"{name} must be a date YYYY-MM-DD") from error


def list_subscribed_dataset_metadata(viewer: Viewer, _info: Info) -> list[GraphQLObject]:
    return [mapping.dataset_metadata(viewer.client.site_id, name) for name in viewer.client.datasets]


def recent_publication_events(viewer: Viewer, _info: Info, lastNDays: int) -> list[GraphQLObject]:
    if not 1 <= lastNDays <= MAX_LAST_N_DAYS:
        raise GraphQLError(f"lastNDays must be between 1 and {MAX_LAST_N_DAYS}")
    client = viewer.client
    found = viewer.integrations.publications.recent(client.site_id, client.datasets, lastNDays)
    return [mapping.publication_event(publication, viewer.base_url) for publication in found]


def dataset_publications(
    viewer: Viewer,
    _info: Info,
    datasetId: str,
    fromDay: str | None = None,
    toDay: str | None = None,
    latestOnly: bool = False,
) -> list[GraphQLObject]:
    client = viewer.client
    names = {dataset_id(client.site_id, name): name for name in client.datasets}
    if datasetId not in names:
        raise GraphQLError(f"datasetId {datasetId!r} is not one of this client's datasets: {', '.join(names)}")
    last = _day(toDay, "toDay", datetime.now(UTC).date())
    first = _day(fromDay, "fromDay", last - timedelta(days=DEFAULT_DAY_RANGE - 1))
    if first > last or (last - first).days >= MAX_DAY_RANGE:
        raise GraphQLError(f"fromDay must not be after toDay, and the range is at most {MAX_DAY_RANGE} days")
    found = viewer.integrations.publications.for_dataset(client.site_id, names[datasetId], first, last, latestOnly)
    return [mapping.publication_event(publication, viewer.base_url) for publication in found]


def publication(viewer: Viewer, _info: Info, id: str) -> GraphQLObject | None:
    found = visible_publication(viewer.integrations, viewer.client, id)
    return None if found is None else mapping.publication_event(found, viewer.base_url)


def publication_rows(
    viewer: Viewer, _info: Info, publicationId: str, first: int = 500, after: str | None = None
) -> GraphQLObject:
    if not 1 <= first <= MAX_PAGE:
        raise GraphQLError(f"first must be between 1 and {MAX_PAGE}")
    found = viewer.visible(publicationId)
    start = row_offset(after)
    rows = viewer.integrations.publications.rows(found)
    page = rows[start : start + first]
    end = start + len(page)
    return {
        "columns": found.column_names,
        "rows": page,
        "endCursor": row_cursor(end) if page else after,
        "hasNextPage": end < len(rows),
        "totalCount": len(rows),
    }


def publication_signature(viewer: Viewer, _info: Info, publicationId: str) -> GraphQLObject:
    found = viewer.visible(publicationId)
    key = viewer.integrations.signing_keys.get(found.key_id)
    if key is None:  # keys are never deleted while their account exists
        raise GraphQLError(f"the signing key of publication {publicationId!r} is gone")
    return mapping.publication_signature(found, key)


def signing_keys(viewer: Viewer, _info: Info) -> list[GraphQLObject]:
    keys = viewer.integrations.signing_keys.list_for_account(viewer.client.account_id)
    return [mapping.signing_key(key) for key in keys]


# One entry per field of `type Query`; schema.py refuses to build when the two disagree.
QUERY_RESOLVERS: Mapping[str, Callable[..., object]] = {
    "listSubscribedDatasetMetadata": list_subscribed_dataset_metadata,
    "recentPublicationEvents": recent_publication_events,
    "datasetPublications": dataset_publications,
    "publication": publication,
    "publicationRows": publication_rows,
    "publicationSignature": publication_signature,
    "signingKeys": signing_keys,
}
