"""Connection health: what verifying credentials with the provider taught (accepted at,
unreachable since and why, the next background check). The OAuth refresh failure marks came
with the token keeper (0010).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("verified_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("last_downstream_error_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("downstream_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("verification_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_verification_at", sa.BigInteger(), nullable=True))
    op.create_index("ix_connections_next_verification_at", "connections", ["next_verification_at"])


def downgrade() -> None:
    op.drop_index("ix_connections_next_verification_at", table_name="connections")
    with op.batch_alter_table("connections") as batch:
        for column in (
            "next_verification_at",
            "verification_failures",
            "downstream_error",
            "last_downstream_error_at",
            "verified_at",
        ):
            batch.drop_column(column)
