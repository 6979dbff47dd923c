"""A publication's rows as a file: Parquet (typed columns) or CSV, for the same bearer token as GraphQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadline.canonical import Cell
from leadline.csv_cells import escape_row
from leadline.integrations.context import Integrations
from leadline.integrations.graphql import authenticate, not_visible, visible_publication
from leadline.publishing.datasets import DATASETS, ValueType
from leadline.publishing.publications import Publication

ARROW_TYPES = {ValueType.DATE: pa.date32(), ValueType.STRING: pa.string(), ValueType.INT: pa.int64()}
MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv; charset=utf-8"}


def parquet_bytes(publication: Publication, rows: Sequence[Sequence[Cell]]) -> bytes:
    """Typed columns (DATE as date32, INT as int64, FLOAT as float64), and the publication's facts as metadata."""
    columns = DATASETS[publication.dataset].columns
    arrays = []
    for index, column in enumerate(columns):
        values: list[object] = [row[index] for row in rows]
        if column.value_type is ValueType.DATE:
            values = [date.fromisoformat(str(value)) for value in values]
        arrays.append(pa.array(values, type=ARROW_TYPES.get(column.value_type, pa.float64())))
    schema = pa.schema(
        [pa.field(column.name, array.type, nullable=False) for column, array in zip(columns, arrays, strict=True)],
        metadata={
            "leadline.publication_id": publication.id,
            "leadline.dataset_id": publication.dataset_id,
            "leadline.day": publication.day.isoformat(),
            "leadline.version": str(publication.version),
            "leadline.rows_sha256": publication.rows_sha256,
        },
    )
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), sink)
    return sink.getvalue()


def csv_bytes(publication: Publication, rows: Sequence[Sequence[Cell]]) -> bytes:
    """RFC 4180 CSV with a header row; floats in their shortest round-trip form (e.g. 0.0, 135.29).

    Text cells that a spreadsheet would run as a formula carry a leading `'` (see `leadline.csv_cells`), so
    this file is a rendering of the signed rows: verify with the GraphQL rows or the Parquet file.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(escape_row(publication.column_names))
    writer.writerows(escape_row(row) for row in rows)
    return text.getvalue().encode("utf-8")


async def download_endpoint(request: Request, integrations: Integrations) -> Response:
    client = await authenticate(request, integrations)
    if isinstance(client, Response):
        return client
    publication_id, file_format = request.path_params["publication_id"], request.path_params["format"]
    if file_format not in MEDIA_TYPES:
        return JSONResponse({"errors": [{"message": "rows are served as rows.parquet or rows.csv"}]}, 404)
    publication = await run_in_threadpool(visible_publication, integrations, client, publication_id)
    if publication is None:
        return JSONResponse({"errors": [{"message": not_visible(publication_id)}]}, 404)
    rows = await run_in_threadpool(integrations.publications.rows, publication)
    encode = parquet_bytes if file_format == "parquet" else csv_bytes
    body = await run_in_threadpool(encode, publication, rows)
    filename = f"{publication.dataset}_{publication.day.isoformat()}_v{publication.version}.{file_format}"
    return Response(
        body,
        media_type=MEDIA_TYPES[file_format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "ETag": f'"{publication.rows_sha256}"',
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )
