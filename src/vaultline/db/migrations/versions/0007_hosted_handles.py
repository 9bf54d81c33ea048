"""Hosted Vault handles: the browser's cookie names a handle row instead of carrying the token,
and the session row keeps the theme and consumer metadata the pages show.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("theme", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("consumer_metadata", sa.JSON(), nullable=True))
    op.create_table(
        "hosted_handles",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_hosted_handles_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_hosted_handles"),
    )
    op.create_index("ix_hosted_handles_session_id", "hosted_handles", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_hosted_handles_session_id", table_name="hosted_handles")
    op.drop_table("hosted_handles")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("consumer_metadata")
        batch.drop_column("theme")
