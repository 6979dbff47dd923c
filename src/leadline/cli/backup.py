"""`leadline backup` and `leadline restore`: one file holding the embedded stores, taken while the server runs.

A running server holds the DuckDB file, so the backup is then taken by the server itself, asked over its
admin socket; with no server running, the command opens the stores and takes it in this process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from leadline.admin.backup import BackupError, write_backup
from leadline.admin.restore import RestoreError, restore_backup
from leadline.cli.output import JsonOption, errors, fail, fail_on, print_result
from leadline.cli.running_server import ask_running_server, busy_message
from leadline.cli.stores import load_settings, private_data_dir
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.store.events import EventStoreBusyError
from leadline.store.files import OWNER_ONLY_UMASK
from leadline.store.secret_key import SecretKeyError

OutOption = Annotated[Path, typer.Option("--out", help="The backup file to write (a tar file; must not exist).")]


def backup(out: OutOption, as_json: JsonOption = False) -> None:
    """Write a consistent backup of the embedded stores, the spool and the key files, even while serving."""
    settings = load_settings()
    out = out.resolve()
    if out.exists():
        fail(f"{out} exists: choose a new name for the backup")
    # Written under a draft name and renamed when complete, so a file named `out` is always a whole backup.
    draft = out.with_name(f".{out.name}.partial")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{draft} is left from an interrupted backup: remove it and retry")
    except OSError as error:
        fail(f"cannot write {out}: {error.strerror}")
    try:
        with os.fdopen(descriptor, "wb") as written:
            manifest = backup_through_server(settings, written.fileno())
            if manifest is None:
                manifest = backup_here(settings, written.fileno())
            os.fsync(written.fileno())
        os.replace(draft, out)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    size = out.stat().st_size
    lines = [
        f"Backup written to {escape(str(out))} ({size:,} bytes, {len(manifest['contents'])} files, "
        f"taken by {'the running server' if manifest['taken_by'] == 'server' else 'this command'}).",
        f"[yellow]Secret key:[/] {escape(manifest['secret_key']['note'])}",
    ]
    print_result({"path": str(out), "bytes": size, "manifest": manifest}, as_json, *lines)


def backup_through_server(settings: Settings, descriptor: int) -> dict[str, Any] | None:
    """The running server's backup, written into `descriptor`; None when no server answers on the admin socket."""
    answer = ask_running_server(settings, {"command": "backup"}, [descriptor])
    if answer is None:
        return None
    manifest: dict[str, Any] = answer["manifest"]
    return manifest


def backup_here(settings: Settings, descriptor: int) -> dict[str, Any]:
    """With no server running: open the stores in this process and copy them."""
    private_data_dir(settings)
    try:
        deployment = build_deployment(settings)
    except EventStoreBusyError:
        fail(busy_message(settings))
    except SecretKeyError as error:
        fail(str(error))
    try:
        with fail_on(BackupError), os.fdopen(os.dup(descriptor), "wb") as stream:
            return write_backup(deployment.admin(), stream, taken_by="command")
    finally:
        deployment.close()


def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `leadline backup`.")],
    data_dir: Annotated[
        Path | None, typer.Option(help="The data directory to restore into (default: LEADLINE_DATA_DIR); new or empty.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into a new or empty data directory, checking every file against its SHA-256."""
    settings = load_settings(data_dir=data_dir)
    target = settings.data_dir.resolve()
    os.umask(OWNER_ONLY_UMASK)  # whatever the restore makes (directories included) is owner-only
    with fail_on(RestoreError):
        manifest = restore_backup(file.resolve(), target)
    lines = [
        f"Restored the backup of {manifest['created_at']} ({len(manifest['contents'])} files) into {target}.",
        "Start it with: leadline serve (LEADLINE_DATA_DIR=" + str(target) + ")",
    ]
    lines.append(f"[yellow]Secret key:[/] {escape(manifest['secret_key']['note'])}")
    if settings.database_url or settings.events_url:
        errors.print(
            "[yellow]warning:[/] the backup was restored as the embedded stores of the data directory; "
            "LEADLINE_DATABASE_URL / LEADLINE_EVENTS_URL point elsewhere: unset them to use it"
        )
    print_result({"data_dir": str(target), "manifest": manifest}, as_json, *lines)
