"""Files at rest: the data directory and every store file are owner-only, wider ones are warned about at start,
and deleted salts leave no bytes behind in the SQLite file."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import text

from leadline.store.files import ensure_private_directory, wider_modes
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from tests.live_server import run_leadline, start_server

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
HELD_IN_THE_SPOOL = {"LEADLINE_SPOOL_SEGMENT_SECONDS": "60", "LEADLINE_FLUSH_INTERVAL_SECONDS": "60"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(directory: Path) -> dict[str, int]:
    """The mode of the directory and of everything in it, by path relative to it."""
    return {".": mode(directory)} | {str(path.relative_to(directory)): mode(path) for path in directory.rglob("*")}


def wider_than_owner_only(directory: Path) -> dict[str, str]:
    return {name: f"{found:04o}" for name, found in modes_under(directory).items() if found & 0o077}


def sqlite_store(data_dir: Path) -> MetadataStore:
    return open_metadata_store(f"sqlite:///{data_dir.resolve() / 'leadline.sqlite3'}", migrate=False)


def test_the_server_makes_its_data_directory_and_every_file_in_it_owner_only(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh" / "data"
    server = start_server(tmp_path / "harness", {"LEADLINE_DATA_DIR": str(fresh)} | HELD_IN_THE_SPOOL)
    try:
        store = sqlite_store(fresh)
        account = store.accounts.create("Shop", "owner@shop.test")
        site = store.sites.create(account.id, {"name": "Shop"})
        store.close()
        hit = httpx.post(
            server.url("/api/event"),
            json={"site": site.id, "url": "https://shop.example/"},
            headers={"User-Agent": BROWSER, "Origin": "https://shop.example"},
        )
        assert hit.status_code == 202
        made = modes_under(fresh)
    finally:
        server.stop()
    assert {"leadline.sqlite3", "leadline.sqlite3-wal", "events.duckdb", "spool"} <= set(made)
    assert any(name.startswith("spool/") for name in made), "the hit should be waiting in a spool segment"
    assert mode(fresh.parent) == 0o700  # a missing parent is made owner-only as well
    assert {name: f"{found:04o}" for name, found in made.items() if found & 0o077} == {}


def test_the_cli_makes_its_data_directory_its_files_and_the_generated_key_file_owner_only(data_dir: Path) -> None:
    created = run_leadline(data_dir, "accounts", "create", "--name", "A", "--email", "a@a.test", "--json")
    assert created.returncode == 0, created.stderr
    account_id = json.loads(created.stdout)["id"]
    rotated = run_leadline(data_dir, "keys", "rotate-signing", "--account", account_id, "--json")
    assert rotated.returncode == 0, rotated.stderr
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "leadline.sqlite3") == mode(data_dir / "secret.key") == 0o600
    assert wider_than_owner_only(data_dir) == {}


def test_an_embedded_store_opened_in_process_is_owner_only_even_under_a_permissive_umask(tmp_path: Path) -> None:
    data_dir = tmp_path / "in-process"
    previous = os.umask(0o022)
    try:
        sqlite_store(data_dir).close()
    finally:
        os.umask(previous)
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "leadline.sqlite3") == 0o600


def test_the_server_warns_at_start_about_store_files_that_others_can_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    sqlite_store(data_dir).close()
    data_dir.chmod(0o755)
    (data_dir / "leadline.sqlite3").chmod(0o644)
    server = start_server(data_dir)  # its own log file lands in data_dir too: the harness makes it 0644
    server.stop()
    warnings = [
        line for line in map(json.loads, filter(str.strip, server.log().splitlines())) if line["level"] == "warning"
    ]
    messages = "\n".join(warning["message"] for warning in warnings)
    assert f"directory {data_dir.resolve()} has mode 0755" in messages
    assert f"file {data_dir.resolve() / 'leadline.sqlite3'} has mode 0644" in messages
    assert "chmod 600" in messages and "chmod 700" in messages
    assert {warning["logger"] for warning in warnings} == {"leadline.files"}


def test_owner_only_paths_raise_no_warning(tmp_path: Path) -> None:
    directory = ensure_private_directory(tmp_path / "private")
    (directory / "file").touch(mode=0o600)
    assert wider_modes([directory]) == []
    (directory / "file").chmod(0o640)
    assert wider_modes([directory, tmp_path / "absent"]) == [
        f"file {directory / 'file'} has mode 0640: others may read it; chmod 600 {directory / 'file'}"
    ]


def test_every_metadata_connection_deletes_securely(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    try:
        for _ in range(2):  # a connection of the pool, then a fresh one
            with store.engine.connect() as connection:
                assert connection.execute(text("PRAGMA secure_delete")).scalar_one() == 1
            store.engine.dispose()
    finally:
        store.close()


def test_a_destroyed_salt_leaves_no_bytes_in_the_database_file(tmp_path: Path) -> None:
    store = open_metadata_store(f"sqlite:///{tmp_path / 'leadline.sqlite3'}")
    old_salt, kept_salt = b"\x17OLD-SALT-BYTES\x99" * 2, b"\x17NEW-SALT-BYTES\x99" * 2
    store.salts.get_or_create(date(2026, 3, 2), old_salt)
    store.salts.get_or_create(date(2026, 3, 3), kept_salt)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert old_salt in (tmp_path / "leadline.sqlite3").read_bytes()

    store.salts.delete_before(date(2026, 3, 3))
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    on_disk = (tmp_path / "leadline.sqlite3").read_bytes()
    assert old_salt not in on_disk
    assert kept_salt in on_disk
