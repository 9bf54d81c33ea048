"""Vault links (stored by the hash of their secret) and the email outbox that delivers them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_links",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("consumer_id", sa.String(255), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("session_request", sa.JSON(), nullable=False),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(35), nullable=True),
        sa.Column("send_to", sa.String(320), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("binding_hash", sa.String(64), nullable=True),
        sa.Column("first_opened_at", sa.BigInteger(), nullable=True),
        sa.Column("last_opened_at", sa.BigInteger(), nullable=True),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("expired_noted_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name="fk_vault_links_application_id_applications",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_vault_links"),
        sa.UniqueConstraint("secret_hash", name="uq_vault_links_secret_hash"),
    )
    op.create_index(
        "ix_vault_links_app_consumer_created", "vault_links", ["application_id", "consumer_id", "created_at"]
    )
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("link_id", sa.String(64), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("message_sealed", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name="fk_email_outbox_application_id_applications",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["vault_links.id"], name="fk_email_outbox_link_id_vault_links", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_email_outbox"),
    )
    op.create_index("ix_email_outbox_status_next_attempt_at", "email_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_email_outbox_link_id", "email_outbox", ["link_id"])


def downgrade() -> None:
    op.drop_index("ix_email_outbox_link_id", table_name="email_outbox")
    op.drop_index("ix_email_outbox_status_next_attempt_at", table_name="email_outbox")
    op.drop_table("email_outbox")
    op.drop_index("ix_vault_links_app_consumer_created", table_name="vault_links")
    op.drop_table("vault_links")
