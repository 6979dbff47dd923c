"""Daily salts for visitor hashing, and the hostname a single-domain site is bound to.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "salts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_salts"),
    )
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("primary_hostname", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("primary_hostname")
    op.drop_table("salts")
