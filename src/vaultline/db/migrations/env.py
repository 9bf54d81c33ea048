"""Alembic environment: always run programmatically with a connection handed in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from vaultline.db.schema import metadata

connection = context.config.attributes["connection"]
is_sqlite = connection.dialect.name == "sqlite"

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=is_sqlite,  # SQLite alters tables by copying them
    compare_type=True,
)

with context.begin_transaction():
    if not is_sqlite:
        # Several instances may start together: one migrates, the others wait and find head.
        connection.execute(text("SELECT pg_advisory_xact_lock(7245531)"))
    context.run_migrations()
