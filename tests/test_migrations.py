"""The Alembic migrations and db/schema.py describe the same schema, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from vaultline.config import Settings
from vaultline.db.engine import alembic_config, create_engine, migrate
from vaultline.db.schema import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _round_trip(connection: Connection) -> None:
    config = alembic_config(connection)
    command.downgrade(config, "base")
    command.upgrade(config, "head")


async def test_migrated_schema_matches_the_table_definitions(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
        assert differences == []
    finally:
        await engine.dispose()


async def test_every_migration_downgrades_and_upgrades_again(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_round_trip)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
