"""CSV cells a spreadsheet reads as text: no visitor-controlled cell can start a formula (CSV injection).

The rule is OWASP's: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading `'`, which spreadsheets take as "this is text" and do not show. Numbers stay numbers, so a negative
count or rate is written as it is. The escaped cell is a rendering, not the data: a publication's signature
covers its raw rows, so verify with the rows from GraphQL or from the Parquet file, not from a CSV file.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula (or that hide one after them)."""

TEXT_MARKER = "'"


def escape_cell(value: object) -> object:
    """`value`, with a leading `'` if it is text that begins with one of FORMULA_TRIGGERS."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return TEXT_MARKER + value
    return value


def escape_row(cells: Iterable[object]) -> list[object]:
    """A row with each cell escaped by `escape_cell`, for `csv.writer.writerow`."""
    return [escape_cell(cell) for cell in cells]
