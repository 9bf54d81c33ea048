"""The one place SQLite and PostgreSQL differ in our SQL: INSERT … ON CONFLICT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_for(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT supporting ``on_conflict_do_update/nothing`` on the connection's dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
