"""The CSRF-protected OAuth flow and data-scope consents: a connection's pending confirmation
(the confirm token's hash and expiry) and its consent records; an application's data scopes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("confirm_token_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("confirm_expires_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("consents", sa.JSON(), nullable=True))
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("data_scopes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("data_scopes")
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("consents")
        batch.drop_column("confirm_expires_at")
        batch.drop_column("confirm_token_hash")
