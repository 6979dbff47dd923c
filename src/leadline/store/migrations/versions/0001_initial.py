"""Accounts, API keys, sites, events and milestones.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_api_keys_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_account_id", "api_keys", ["account_id"])
    op.create_table(
        "sites",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sharing", sa.String(16), nullable=False),
        sa.Column("share_password_hash", sa.String(255), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("multi_domain", sa.Boolean(), nullable=False),
        sa.Column("multi_domain_option", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_sites_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
    )
    op.create_index("ix_sites_account_order", "sites", ["account_id", "created_at", "id"])
    for table in ("events", "milestones"):
        columns: list[sa.Column[object]] = [
            sa.Column("site_id", sa.String(16), nullable=False),
            sa.Column("id", sa.String(16), nullable=False),
            sa.Column("name", sa.String(255), nullable=False),
        ]
        if table == "milestones":
            columns.append(sa.Column("milestone_date", sa.Date(), nullable=False))
        op.create_table(
            table,
            *columns,
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=f"fk_{table}_site_id_sites", ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("site_id", "id", name=f"pk_{table}"),
            *([sa.UniqueConstraint("site_id", "name", name="uq_events_site_id_name")] if table == "events" else []),
        )
        op.create_index(f"ix_{table}_site_order", table, ["site_id", "created_at", "id"])


def downgrade() -> None:
    for table in ("milestones", "events", "sites", "api_keys", "accounts"):
        op.drop_table(table)
