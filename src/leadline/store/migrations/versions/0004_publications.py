"""Signed publications: account signing keys, the full publications table and the frozen rows.

The publications table of 0003 was never written to (nothing published before this revision), so it is
replaced rather than altered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_publications_site_order", table_name="publications")
    op.drop_table("publications")
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(16), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_signing_keys_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_signing_keys"),
    )
    op.create_index("ix_signing_keys_account_id", "signing_keys", ["account_id"])
    op.create_table(
        "publications",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("site_id", sa.String(16), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.String(16), nullable=True),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("rows_sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("signer_email", sa.String(320), nullable=False),
        sa.Column("timestamp_iso8601", sa.String(40), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_publications_site_id_sites", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["key_id"], ["signing_keys.id"], name="fk_publications_key_id_signing_keys"),
        sa.PrimaryKeyConstraint("id", name="pk_publications"),
        sa.UniqueConstraint("site_id", "dataset", "day", "version", name="uq_publications_site_dataset_day_version"),
    )
    op.create_index("ix_publications_site_order", "publications", ["site_id", "published_at"])
    op.create_table(
        "publication_rows",
        sa.Column("publication_id", sa.String(16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name="fk_publication_rows_publication_id_publications",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("publication_id", name="pk_publication_rows"),
    )


def downgrade() -> None:
    op.drop_table("publication_rows")
    op.drop_index("ix_publications_site_order", table_name="publications")
    op.drop_table("publications")
    op.drop_index("ix_signing_keys_account_id", table_name="signing_keys")
    op.drop_table("signing_keys")
    op.create_table(
        "publications",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("site_id", sa.String(16), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("rows_sha256", sa.String(64), nullable=False),
        sa.Column("signature_id", sa.String(64), nullable=False),
        sa.Column("signer_email", sa.String(320), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_publications_site_id_sites", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_publications"),
    )
    op.create_index("ix_publications_site_order", "publications", ["site_id", "published_at"])
