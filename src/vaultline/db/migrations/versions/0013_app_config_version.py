"""An application's configuration version: bumped with every change to the application row or
its offered integrations, so hot paths can cache that configuration and see a change on the very
next request, on every instance (store/app_config.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("config_version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("config_version")
