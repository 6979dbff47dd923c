"""The dashboard's CSV export: one zip, a CSV file per panel plus visitors.csv, for the view's range and filters.

Cells are exactly what `/v1/aggregations` answers for the same parameters (its column names as headers, its
strings as values), except that text a spreadsheet would run as a formula is escaped (leadline.csv_cells).
"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Sequence

from leadline.csv_cells import escape_row
from leadline.dashboard.panels import PAGEVIEW_CARDS, PANELS, Panel, panel_params
from leadline.dashboard.site_reports import SiteReports, event_table
from leadline.query.model import MAX_LIMIT

Table = tuple[list[str], list[list[str]]]  # header, rows
EVENT_COLUMNS = ["event", "conversions", "unique_conversions", "conversion_rate", "value"]


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(escape_row(header))
    writer.writerows(escape_row(row) for row in rows)
    return buffer.getvalue()


def _file_name(panel: Panel) -> str:
    return f"{panel.name}.csv"


async def _panel_tables(reports: SiteReports, panels: list[Panel], limit: int) -> list[Table]:
    queries = [reports.parse(reports.params(reports.state.span, panel_params(panel, limit))) for panel in panels]
    answers = await reports.run_together(queries)
    return [
        ([str(panel.field), panel.metric], [[row[str(panel.field)], row[panel.metric]] for row in rows])
        for panel, rows in zip(panels, answers, strict=True)
    ]


async def _events_table(reports: SiteReports) -> Table:
    events = reports.events()
    totals, answers = await asyncio.gather(
        reports.totals(reports.state.span), reports.event_totals(events, reports.state.span)
    )
    rows = [
        [
            event.name,
            f"{event.conversions:.0f}",
            f"{event.unique_conversions:.0f}",
            f"{event.conversion_rate:g}",
            f"{event.value:.0f}",
        ]
        for event in event_table(answers, totals["uniques"])
    ]
    return EVENT_COLUMNS, rows


async def _visitors_table(reports: SiteReports) -> Table:
    params = reports.params(
        reports.state.span, {"aggregates": ",".join(PAGEVIEW_CARDS), "date_grouping": reports.state.interval}
    )
    rows = await reports.run(params)
    header = ["date", *PAGEVIEW_CARDS]
    return header, [[row[name] for name in header] for row in rows]


async def export_files(reports: SiteReports, max_rows: int) -> dict[str, str]:
    """File name -> CSV text, in the order the zip lists them."""
    limit = max(1, min(max_rows, MAX_LIMIT))
    dimension_panels = [panel for panel in PANELS if panel.name != "events"]
    visitors, panel_tables, events = await asyncio.gather(
        _visitors_table(reports), _panel_tables(reports, dimension_panels, limit), _events_table(reports)
    )
    tables = [visitors, *panel_tables, events]
    names = ["visitors.csv", *(_file_name(panel) for panel in dimension_panels), "events.csv"]
    return {name: csv_text(*table) for name, table in zip(names, tables, strict=True)}


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()
