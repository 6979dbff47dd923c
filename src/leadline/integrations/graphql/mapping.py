"""Records (publications, datasets, signing keys) shaped as the GraphQL objects of schema.graphql."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from leadline.canonical import signed_message
from leadline.publishing.datasets import DATASETS, dataset_id
from leadline.publishing.publications import Publication
from leadline.store.metadata.records import SigningKey

GraphQLObject = dict[str, Any]


def dataset_columns(dataset: str, ds_id: str) -> list[GraphQLObject]:
    """`[DatasetColumn]` of one site's dataset; column ids are unique across datasets."""
    return [
        {"id": f"{ds_id}.{column.name}", "columnName": column.name, "valueType": column.value_type.value}
        for column in DATASETS[dataset].columns
    ]


def dataset_metadata(site_id: str, dataset: str) -> GraphQLObject:
    """A `Dataset`."""
    ds_id = dataset_id(site_id, dataset)
    return {"id": ds_id, "datasetName": dataset, "datasetColumns": dataset_columns(dataset, ds_id)}


def publication_event(publication: Publication, base_url: str) -> GraphQLObject:
    """A `PublicationEvent`, with download links under `base_url`."""
    links = f"{base_url}/api/integrations/publications/{publication.id}/rows"
    return {
        "id": publication.id,
        "signerEmail": publication.signer_email,
        "signatureId": publication.signature_id,
        "datasetId": publication.dataset_id,
        "branchId": publication.branch_id,
        "timestampIso8601": publication.timestamp_iso8601,
        "datasetName": publication.dataset,
        "day": publication.day.isoformat(),
        "timezone": publication.timezone,
        "version": publication.version,
        "supersedesId": publication.supersedes_id,
        "rowCount": publication.row_count,
        "rowsSha256": publication.rows_sha256,
        "columns": dataset_columns(publication.dataset, publication.dataset_id),
        "parquetUrl": links + ".parquet",
        "csvUrl": links + ".csv",
    }


def publication_signature(publication: Publication, key: SigningKey) -> GraphQLObject:
    """A `PublicationSignature`: the signature, the key that made it and the exact bytes it covers."""
    return {
        "signatureId": publication.signature_id,
        "publicationId": publication.id,
        "algorithm": key.algorithm,
        "keyId": key.id,
        "publicKey": key.public_key,
        "signature": publication.signature,
        "signedMessage": signed_message(publication.signed_facts(key.algorithm)).decode("utf-8"),
    }


def signing_key(key: SigningKey) -> GraphQLObject:
    """A `SigningKey`; stored times are naive UTC."""
    return {
        "keyId": key.id,
        "algorithm": key.algorithm,
        "publicKey": key.public_key,
        "createdAt": key.created_at.replace(tzinfo=UTC).isoformat(),
    }
