"""Integrations an application offers (with its OAuth clients) and consumers' connections.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
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
        "application_integrations",
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("oauth_client_id", sa.String(512), nullable=True),
        sa.Column("oauth_client_secret_sealed", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name="fk_application_integrations_application_id_applications",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", "service_id", name="pk_application_integrations"),
    )
    op.create_table(
        "connections",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("consumer_id", sa.String(255), nullable=False),
        sa.Column("unified_api", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings_sealed", sa.Text(), nullable=True),
        sa.Column("credentials_sealed", sa.Text(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("configuration", sa.JSON(), nullable=True),
        sa.Column("validation_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name="fk_connections_application_id_applications",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_connections"),
        sa.UniqueConstraint("uid", name="uq_connections_uid"),
        sa.UniqueConstraint(
            "application_id", "consumer_id", "unified_api", "service_id", name="uq_connections_identity"
        ),
    )


def downgrade() -> None:
    op.drop_table("connections")
    op.drop_table("application_integrations")
