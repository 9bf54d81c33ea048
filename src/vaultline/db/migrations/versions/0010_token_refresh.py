"""Tokens kept alive (oauth/token_keeper.py): when each connection's OAuth token is next
refreshed, and the bookkeeping of failed refreshes (Apideck's ``last_refresh_failed_at`` and the
retention window ``credentials_expire_at``).

Connections that already hold tokens are due at once (``refresh_due_at`` = 0): the sealed
tokens cannot be read here, so the keeper refreshes each one on its first passes and schedules it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("refresh_due_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("refresh_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_refresh_failed_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("credentials_expire_at", sa.BigInteger(), nullable=True))
        batch.create_index("ix_connections_refresh_due_at", ["refresh_due_at"])
    op.execute("UPDATE connections SET refresh_due_at = 0 WHERE credentials_sealed IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_index("ix_connections_refresh_due_at")
        batch.drop_column("credentials_expire_at")
        batch.drop_column("last_refresh_failed_at")
        batch.drop_column("refresh_failures")
        batch.drop_column("refresh_due_at")
