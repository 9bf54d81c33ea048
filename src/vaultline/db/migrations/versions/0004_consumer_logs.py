"""Consumer request logs: one row per Vault API call made for a consumer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consumer_logs",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("consumer_id", sa.String(255), nullable=False),
        sa.Column("caller", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("operation_name", sa.String(200), nullable=False),
        sa.Column("unified_api", sa.String(64), nullable=True),
        sa.Column("service_id", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name="pk_consumer_logs"),
    )
    op.create_index(
        "ix_consumer_logs_app_consumer_pk", "consumer_logs", ["application_id", "consumer_id", "pk"], unique=False
    )
    op.create_index("ix_consumer_logs_timestamp", "consumer_logs", ["timestamp"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_consumer_logs_timestamp", table_name="consumer_logs")
    op.drop_index("ix_consumer_logs_app_consumer_pk", table_name="consumer_logs")
    op.drop_table("consumer_logs")
