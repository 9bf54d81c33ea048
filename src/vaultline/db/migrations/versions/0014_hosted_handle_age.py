"""Hosted Vault handles are pruned by age once their session surely ended (sessions/handle_pruning.py):
an index on their creation time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_hosted_handles_created_at", "hosted_handles", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_hosted_handles_created_at", table_name="hosted_handles")
