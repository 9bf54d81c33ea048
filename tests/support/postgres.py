"""A throw-away PostgreSQL database for one test run, on the server at 127.0.0.1:5432."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg  # type: ignore[import-untyped]

ADMIN_DSN = os.environ.get("VAULTLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class PostgresDatabase:
    name: str

    @property
    def url(self) -> str:
        return ADMIN_DSN.rsplit("/", 1)[0] + "/" + self.name

    def truncate_all(self) -> None:
        asyncio.run(self._truncate())

    async def _truncate(self) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
            if tables:
                names = ", ".join(f'"{row["tablename"]}"' for row in tables)
                await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            await connection.close()


async def _admin(statement: str) -> bool:
    try:
        connection = await asyncio.wait_for(asyncpg.connect(ADMIN_DSN), timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
    return True


@contextmanager
def postgres_database() -> Iterator[PostgresDatabase | None]:
    """Create a uniquely named database, yield it (None if the server is unreachable), drop it."""
    name = f"vaultline_test_{os.getpid()}_{secrets.token_hex(3)}"
    if not asyncio.run(_admin(f'CREATE DATABASE "{name}"')):
        yield None
        return
    try:
        yield PostgresDatabase(name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
