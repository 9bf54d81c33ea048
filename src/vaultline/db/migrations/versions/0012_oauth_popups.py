"""OAuth inside Vault JS: one row per sign-in popup (its single-use start token's hash and the
outcome the callback records for the embedded modal).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_popups",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("unified_api", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("start_hash", sa.String(64), nullable=False),
        sa.Column("start_expires_at", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_oauth_popups_session_id_sessions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_popups"),
        sa.UniqueConstraint("start_hash", name="uq_oauth_popups_start_hash"),
    )
    op.create_index("ix_oauth_popups_session_id", "oauth_popups", ["session_id"])
    op.create_index("ix_oauth_popups_expires_at", "oauth_popups", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oauth_popups_expires_at", table_name="oauth_popups")
    op.drop_index("ix_oauth_popups_session_id", table_name="oauth_popups")
    op.drop_table("oauth_popups")
