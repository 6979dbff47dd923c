"""`leadline remote`: a remote server's REST API (with an API key) and Integration API (with an OAuth2 client)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadline.cli.output import JsonOption, console, errors, fail, print_json, print_rows
from leadline.client import (
    IntegrationApiClient,
    LeadlineClient,
    LeadlineError,
    PublicationEvent,
    PublicationVerificationError,
    read_parquet_rows,
    verify_publication_data,
)

remote_app = typer.Typer(
    help="Use a remote Leadline server: REST v1 with an API key, the Integration API with an OAuth2 client.",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str, typer.Option("--url", envvar="LEADLINE_URL", help="The server's base URL, e.g. https://stats.example.com.")
]
ApiKeyOption = Annotated[
    str, typer.Option("--api-key", envvar="LEADLINE_API_KEY", help="A REST API key.", show_default=False)
]
ClientIdOption = Annotated[
    str, typer.Option("--client-id", envvar="LEADLINE_CLIENT_ID", help="Integration API client id.")
]
ClientSecretOption = Annotated[
    str,
    typer.Option(
        "--client-secret", envvar="LEADLINE_CLIENT_SECRET", help="Integration API client secret.", show_default=False
    ),
]
# Every `remote` error exits 1, as the README documents (a contract), where the operator commands' refusals exit 2.
REMOTE_FAILURE = 1

# Names the server gives become path parts: anything else (a slash, "..") could write outside --out.
_SAFE_PATH_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class Entity(StrEnum):
    pageview = "pageview"
    event = "event"


class DateGrouping(StrEnum):
    hour = "hour"
    day = "day"
    month = "month"
    year = "year"


class FailedPull(Exception):
    """Some publications could not be pulled or verified; the summary was printed."""


def _fail(message: str) -> NoReturn:
    fail(message, REMOTE_FAILURE)


@contextlib.contextmanager
def _reported_errors(url: str) -> Iterator[None]:
    """Errors as one line and exit code 1: no traceback, and nothing that could hold a secret."""
    try:
        yield
    except LeadlineError as error:
        _fail(f"{url} answered {error.status}: {error.message}")
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        _fail(f"could not talk to {url}: {type(error).__name__}: {error}")
    except (PublicationVerificationError, FailedPull, OSError) as error:
        _fail(str(error))


@remote_app.command("sites")
def sites(url: UrlOption, api_key: ApiKeyOption, as_json: JsonOption = False) -> None:
    """List every site the API key can see."""
    with _reported_errors(url), LeadlineClient(url, api_key) as client:
        found = [site.model_dump() for site in client.sites.iterate()]
    print_rows(found, as_json, f"Sites on {url}", ["id", "name", "sharing", "timezone", "created_at"])


def _filters(text: str | None) -> list[dict[str, str]] | None:
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        _fail(f"--filters is not JSON: {error}")
    if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
        _fail('--filters must be a JSON array of {"field", "operator", "value"} objects')
    return [{str(key): str(value) for key, value in item.items()} for item in parsed]


@remote_app.command("aggregate")
def aggregate(
    url: UrlOption,
    api_key: ApiKeyOption,
    entity: Annotated[Entity, typer.Option(help="What to aggregate.")],
    aggregates: Annotated[str, typer.Option(help="Comma-separated, e.g. visits,uniques,pageviews,avg_duration.")],
    entity_id: Annotated[str | None, typer.Option(help="The site id (for pageviews and events).")] = None,
    entity_name: Annotated[str | None, typer.Option(help="The event name (entity event).")] = None,
    date_grouping: Annotated[DateGrouping | None, typer.Option(help="Group rows by period.")] = None,
    field_grouping: Annotated[str | None, typer.Option(help="Comma-separated fields, e.g. pathname,hostname.")] = None,
    date_from: Annotated[str | None, typer.Option(help="Start, e.g. 2026-01-01 or 2026-01-01 00:00:00.")] = None,
    date_to: Annotated[str | None, typer.Option(help="End (inclusive), same forms as --date-from.")] = None,
    timezone: Annotated[str | None, typer.Option(help="TZ database name for dates and grouping.")] = None,
    filters: Annotated[
        str | None, typer.Option(help='JSON array, e.g. [{"field":"pathname","operator":"is","value":"/"}].')
    ] = None,
    sort_by: Annotated[str | None, typer.Option(help="e.g. visits:desc.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Aggregate pageviews or events, as the REST API's /v1/aggregations does."""
    parsed_filters = _filters(filters)
    with _reported_errors(url), LeadlineClient(url, api_key) as client:
        rows = client.aggregations(
            entity=entity.value,
            aggregates=aggregates,
            entity_id=entity_id,
            entity_name=entity_name,
            date_grouping=None if date_grouping is None else date_grouping.value,
            field_grouping=field_grouping,
            date_from=date_from,
            date_to=date_to,
            timezone=timezone,
            filters=parsed_filters,
            sort_by=sort_by,
            limit=limit,
        )
    names = list(dict.fromkeys(name for row in rows for name in row))  # every key any row has, in first-seen order
    print_rows(rows, as_json, f"{entity.value} {aggregates}", names)


def publication_path(out: Path, publication: PublicationEvent) -> Path:
    """Where `remote pull` keeps a publication: DIR/{datasetName}/{day}_v{version}_{id}.parquet."""
    for part in (publication.dataset_name, publication.day, publication.id):
        if not _SAFE_PATH_PART.fullmatch(part):
            raise PublicationVerificationError(publication.id, "file_name", f"{part!r} cannot be used in a file name")
    return out / publication.dataset_name / f"{publication.day}_v{publication.version}_{publication.id}.parquet"


def _pull_one(
    client: IntegrationApiClient, publication: PublicationEvent, out: Path, verify: bool, public_key: str | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": publication.id,
        "dataset": publication.dataset_name,
        "day": publication.day,
        "version": publication.version,
        "rows": publication.row_count,
    }
    try:
        target = publication_path(out, publication)
        entry["path"] = str(target)
        if target.exists():
            return entry | {"status": "present", "verified": None}
        target.parent.mkdir(parents=True, exist_ok=True)
        if not verify:
            client.download(publication, target)
            return entry | {"status": "downloaded", "verified": False}
        # Only a verified file takes the final name, so a later pull never skips a bad one.
        unverified = client.download(publication, target.with_name(target.name + ".unverified"))
        try:
            rows = read_parquet_rows(unverified, publication.column_names)
            verify_publication_data(publication, rows, client.signature(publication.id), public_key)
        except BaseException:
            unverified.unlink(missing_ok=True)
            raise
        unverified.replace(target)
        return entry | {"status": "downloaded", "verified": True}
    except (LeadlineError, PublicationVerificationError) as error:
        return entry | {"status": "failed", "verified": False, "error": str(error)}


@remote_app.command("pull")
def pull(
    url: UrlOption,
    client_id: ClientIdOption,
    client_secret: ClientSecretOption,
    days: Annotated[int, typer.Option(min=1, help="Publications of the last N days.")],
    out: Annotated[Path, typer.Option(file_okay=False, help="Directory to write DATASET/DAY_vVERSION_ID.parquet to.")],
    dataset: Annotated[list[str] | None, typer.Option(help="Repeatable: only these datasets (default all).")] = None,
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Check rows hash and signature.")] = True,
    public_key: Annotated[
        str | None,
        typer.Option(envvar="LEADLINE_PUBLIC_KEY", help="Pinned Ed25519 public key (base64) to verify against."),
    ] = None,
    token_url: Annotated[
        str | None, typer.Option(envvar="LEADLINE_TOKEN_URL", help="Token endpoint (default URL/oauth2/token).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Download recent publications as Parquet, verify each, and skip files already present."""
    with _reported_errors(url), IntegrationApiClient(url, client_id, client_secret, token_url=token_url) as client:
        wanted = [p for p in client.recent_publications(days) if not dataset or p.dataset_name in dataset]
        results = []
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        # On stderr, so --json output stays clean; not drawn when stderr is a file or a pipe.
        with Progress(*columns, console=errors, transient=True, disable=not errors.is_terminal) as progress:
            task = progress.add_task("Pulling publications", total=len(wanted))
            for publication in wanted:
                results.append(_pull_one(client, publication, out, verify, public_key))
                progress.advance(task)
        counts = {status: sum(r["status"] == status for r in results) for status in ("downloaded", "present", "failed")}
        summary = {"out": str(out), "days": days, **counts, "publications": results}
        if as_json:
            print_json(summary)
        else:
            _print_pull_table(summary)
        if counts["failed"]:
            first = next(r for r in results if r["status"] == "failed")
            raise FailedPull(f"{counts['failed']} of {len(results)} publications failed: {first['error']}")


def _print_pull_table(summary: dict[str, Any]) -> None:
    table = Table("dataset", "day", "version", "id", "rows", "status", title=f"Publications in {summary['out']}")
    for entry in summary["publications"]:
        status = entry["status"] + (" (verified)" if entry.get("verified") else "")
        table.add_row(entry["dataset"], entry["day"], str(entry["version"]), entry["id"], str(entry["rows"]), status)
    console.print(table)
    console.print(
        f"{summary['downloaded']} downloaded, {summary['present']} already present, {summary['failed']} failed"
    )
