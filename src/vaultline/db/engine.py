"""Opening the database: the async engine, SQLite pragmas, and migrations to head."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from vaultline.config import Settings
from vaultline.db.driver_pool import driver_pool_size
from vaultline.db.sqlite_files import create_owner_only, keep_owner_only, sqlite_database_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(settings: Settings) -> AsyncEngine:
    # hide_parameters: an error's message must never carry what a statement wrote (sealed
    # secrets, hashed keys, consumer data) into a log or onto a terminal.
    if settings.backend == "sqlite":
        if settings.database_url is None:
            # Owner-only: the directory holds the database and, by default, the master key.
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        database_file = sqlite_database_file(settings.async_database_url)
        if database_file is not None:
            create_owner_only(database_file)
        engine = create_async_engine(settings.async_database_url, json_serializer=_json_dumps, hide_parameters=True)
        if database_file is not None:

            def tighten_files(_dbapi_connection: Any, _record: Any) -> None:
                keep_owner_only(database_file)

            # Before the pragmas: switching to WAL creates the -wal and -shm files.
            event.listen(engine.sync_engine, "connect", tighten_files)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    return create_async_engine(
        settings.async_database_url,
        # The hot reads have their own share of the pool size (db/driver_pool.py).
        pool_size=max(1, settings.db_pool_size - driver_pool_size(settings.db_pool_size)),
        # Overflow connections are opened and closed per burst: a pool too small for the load
        # spends its time connecting (profiled: asyncpg connect + TLS negotiation per request).
        max_overflow=max(4, settings.db_pool_size // 4),
        json_serializer=_json_dumps,
        hide_parameters=True,
    )


def _json_dumps(value: Any) -> str:
    # JSON columns are written on the group-commit path: orjson is several times faster. It
    # refuses integers beyond 64 bits, which the standard library still writes.
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the CLI, other workers) run while the server writes; NORMAL sync is
    # durable across application crashes and only risks the last commit on power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _is_at_head(connection: Connection) -> bool:
    script = ScriptDirectory.from_config(alembic_config(connection))
    current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())


async def migrate(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def schema_is_current(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return await connection.run_sync(_is_at_head)
