"""Alembic migrations of the metadata store; run by `leadline serve` and every command that needs the store."""
