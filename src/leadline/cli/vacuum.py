"""`leadline vacuum`: rewrite the embedded event store's file without the space its deleted rows left."""

from __future__ import annotations

from rich.markup import escape

from leadline.cli.output import JsonOption, fail, print_result
from leadline.cli.stores import load_settings, private_data_dir
from leadline.store.events import EventStoreBusyError
from leadline.store.events.duckdb_rewrite import RewriteError, rewrite_file
from leadline.store.files import duckdb_file


def vacuum(as_json: JsonOption = False) -> None:
    """Rewrite the embedded event store's file without its free space (after old days moved to Parquet files,
    or a site's deletion); stop the server first."""
    settings = load_settings()
    path = duckdb_file(settings.event_store_url)
    if path is None:
        fail("vacuum rewrites the embedded event store (DuckDB); the configured one is not: nothing to do")
    private_data_dir(settings)
    try:
        done = rewrite_file(path)
    except EventStoreBusyError:
        fail(f"the event store {path} is in use (a running server holds it): stop the server, then retry")
    except (FileNotFoundError, RewriteError) as error:
        fail(str(error))
    freed = done.bytes_before - done.bytes_after
    print_result(
        {
            "path": str(done.path),
            "bytes_before": done.bytes_before,
            "bytes_after": done.bytes_after,
            "seconds": round(done.seconds, 3),
        },
        as_json,
        f"Rewrote {escape(str(done.path))}: {done.bytes_before:,} -> {done.bytes_after:,} bytes "
        f"({freed:,} freed) in {done.seconds:.1f} s.",
    )
