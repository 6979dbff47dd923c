"""Engine creation and schema upgrades for the metadata store (SQLite by default, PostgreSQL at scale)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from leadline.store.files import create_private_file, ensure_private_directory

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The newest migration's revision (migrations/versions/; tests/store/test_metadata_store.py holds it to alembic's
# head). A schema already there is recognised by one query, so that the CLI commands and servers that open it
# import and run alembic only when there is something to migrate (0.2 s of a CLI command's 2.9 s, measured).
SCHEMA_HEAD = "0005"
# Any fixed number, the same in every Leadline process: the advisory lock that serializes schema upgrades.
MIGRATION_LOCK_KEY = 0x4C4541444C494E45  # "LEADLINE"
# How long a SQLite connection waits for another's lock (its busy timeout, and the WAL switch's retries).
SQLITE_BUSY_SECONDS = 30.0


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL mode, foreign keys, secure delete and a busy timeout.

    A new SQLite file is made owner-only before SQLite opens it: its WAL and shared-memory files copy its mode.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # A bare postgresql:// means psycopg2 to SQLAlchemy; Leadline ships psycopg 3, so that is what it means here.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        ensure_private_directory(Path(parsed.database).parent)
        create_private_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (old salts, replaced secrets) are overwritten with zeros, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return engine


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """PRAGMA journal_mode=WAL, retried while another connection holds the lock it needs.

    The switch of a new file answers "database is locked" at once, without waiting out the busy timeout, when
    another process or thread opens the same file at that moment (servers starting together).
    """
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def schema_is_current(engine: Engine) -> bool:
    """Whether the schema is at SCHEMA_HEAD (False for a database alembic has not touched yet)."""
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no alembic_version table: a new database
        return False
    return [version for (version,) in versions] == [SCHEMA_HEAD]


def alembic_config() -> Config:
    """Alembic's configuration of Leadline's migrations (imported here only: see SCHEMA_HEAD)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    # Read without the lock: a version committed as the head stays the head. Any other answer takes the lock below.
    if schema_is_current(engine):
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        # Processes starting at once on one database: one migrates, the others wait, then find it done. Both
        # databases' DDL is transactional, so the lock is held until the whole upgrade commits.
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        elif connection.dialect.name == "sqlite":
            # The write lock up front: Python's sqlite3 would otherwise run the DDL outside any transaction.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
