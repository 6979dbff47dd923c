"""Typed records of the Integration API's datasets and publications, and the pure check of a publication's signature."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from leadline import canonical
from leadline.canonical import Cell
from leadline.client.models import ApiModel

__all__ = [
    "Cell",
    "Dataset",
    "DatasetColumn",
    "PublicationEvent",
    "PublicationSignature",
    "PublicationVerificationError",
    "RowPage",
    "SigningKey",
    "VerifiedPublication",
    "read_parquet_rows",
    "verify_publication_data",
]


class GraphQLModel(ApiModel):
    """An object of the Integration API's GraphQL answers: each field's JSON name is its camelCase alias."""

    # One rule instead of an alias per field: the schema names every field as camelCase of ours.
    model_config = ConfigDict(alias_generator=to_camel)


class DatasetColumn(GraphQLModel):
    id: str
    column_name: str
    value_type: str  # DATE, STRING, INT or FLOAT


class Dataset(GraphQLModel):
    id: str
    dataset_name: str
    dataset_columns: tuple[DatasetColumn, ...]


class PublicationEvent(GraphQLModel):
    """One closed day of a dataset, frozen and signed; a later version of the same day supersedes it."""

    id: str
    signer_email: str
    signature_id: str
    dataset_id: str
    branch_id: str
    timestamp_iso8601: str
    dataset_name: str
    day: str  # YYYY-MM-DD, in `timezone`
    timezone: str
    version: int
    supersedes_id: str | None = None
    row_count: int
    rows_sha256: str
    columns: tuple[DatasetColumn, ...]
    parquet_url: str
    csv_url: str

    @property
    def column_names(self) -> list[str]:
        return [column.column_name for column in self.columns]


class RowPage(GraphQLModel):
    """Rows of a publication in published order; pass `end_cursor` as `after` for the next page."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    end_cursor: str | None = None
    has_next_page: bool
    total_count: int


class PublicationSignature(GraphQLModel):
    """The Ed25519 signature of a publication; `public_key` and `signature` are base64."""

    signature_id: str
    publication_id: str
    algorithm: str
    key_id: str
    public_key: str
    signature: str
    signed_message: str  # the server's rendering, for reading only: verification rebuilds the message itself


class SigningKey(GraphQLModel):
    key_id: str
    algorithm: str
    public_key: str  # base64 of the raw 32-byte Ed25519 key
    created_at: str


class VerifiedPublication(ApiModel):
    """A publication whose rows hash to its `rows_sha256` and whose facts carry a valid signature by `public_key`."""

    publication: PublicationEvent
    rows: tuple[tuple[object, ...], ...]  # as given: dates read back from Parquet stay `datetime.date`
    signature: PublicationSignature
    public_key: str


class PublicationVerificationError(Exception):
    """A publication failed a check; `check` names it: publication_id, row_count, rows_sha256, algorithm, signature."""

    def __init__(self, publication_id: str, check: str, message: str) -> None:
        super().__init__(f"publication {publication_id} failed verification ({check}): {message}")
        self.publication_id = publication_id
        self.check = check


def signed_facts(publication: PublicationEvent, signature: PublicationSignature) -> dict[str, object]:
    """The facts the signature covers, taken from the publication itself (and the signature's own ids)."""
    return {
        "algorithm": signature.algorithm,
        "branchId": publication.branch_id,
        "columns": publication.column_names,
        "datasetId": publication.dataset_id,
        "day": publication.day,
        "keyId": signature.key_id,
        "publicationId": publication.id,
        "rowCount": publication.row_count,
        "rowsSha256": publication.rows_sha256,
        "signatureId": publication.signature_id,
        "signerEmail": publication.signer_email,
        "supersedesId": publication.supersedes_id,
        "timestampIso8601": publication.timestamp_iso8601,
        "timezone": publication.timezone,
        "version": publication.version,
    }


def verify_publication_data(
    publication: PublicationEvent,
    rows: Sequence[Sequence[object]],
    signature: PublicationSignature,
    public_key: str | None = None,
) -> VerifiedPublication:
    """Check rows, facts and signature of a publication already in hand; raise PublicationVerificationError.

    `rows` are in published order (from `rows()`, or read back from a downloaded file: dates may be
    `datetime.date`). A pinned `public_key` (base64) is trusted instead of the one the server sent.
    """

    def fail(check: str, message: str) -> PublicationVerificationError:
        return PublicationVerificationError(publication.id, check, message)

    if signature.publication_id != publication.id or signature.signature_id != publication.signature_id:
        raise fail("publication_id", f"the signature {signature.signature_id} is not this publication's")
    if len(rows) != publication.row_count:
        raise fail("row_count", f"{len(rows)} rows, but the publication has {publication.row_count}")
    try:
        digest = canonical.rows_sha256(publication.column_names, rows)
    except TypeError as error:
        raise fail("rows_sha256", str(error)) from error
    if digest != publication.rows_sha256:
        raise fail("rows_sha256", f"the rows hash to {digest}, the publication says {publication.rows_sha256}")
    if signature.algorithm != canonical.ALGORITHM:
        raise fail("algorithm", f"{signature.algorithm!r} is not {canonical.ALGORITHM}")
    key = public_key if public_key is not None else signature.public_key
    message = canonical.signed_message(signed_facts(publication, signature))
    if not canonical.signature_is_valid(key, signature.signature, message):
        whose = "the pinned public key" if public_key is not None else f"key {signature.key_id}"
        raise fail("signature", f"the signature over the publication's facts is not valid for {whose}")
    frozen_rows = tuple(tuple(row) for row in rows)
    return VerifiedPublication(publication=publication, rows=frozen_rows, signature=signature, public_key=key)


def read_parquet_rows(path: str | Path, columns: Sequence[str]) -> list[tuple[object, ...]]:
    """The rows of a downloaded Parquet file, cells in the order of `columns`, rows in file (published) order."""
    import pyarrow.parquet  # only here: the rest of the SDK does not need it

    table = pyarrow.parquet.read_table(path, columns=list(columns))
    values = [table.column(name).to_pylist() for name in columns]
    return list(zip(*values, strict=True)) if values else []
