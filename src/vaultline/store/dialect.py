"""The one place SQLite and PostgreSQL differ in our SQL: INSERT … ON CONFLICT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_for(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT supporting ``on_conflict_do_update/nothing`` on the connection's dialect."""
    return insert_for_dialect(connection.dialect, table)


def insert_for_dialect(dialect: Dialect, table: Table) -> Any:
    """``insert_for`` by dialect, for statements compiled before any connection is open."""
    if dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
