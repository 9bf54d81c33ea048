"""Everything a running Vaultline holds open: engine, master keys, key ring, caches, writers.

Built by ``Runtime.open`` from a ``Settings`` (in the app's lifespan, or by a CLI command),
never at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.catalog.loader import Catalog, load_catalog
from vaultline.config import Settings
from vaultline.crypto.master_key import ConfigError, MasterKeyRing, load_master_keys
from vaultline.db.engine import create_engine, migrate, schema_is_current
from vaultline.session_recorder import SessionRecorder
from vaultline.store.server_secrets import API_KEY_HASH_KEY, load_or_create_secret
from vaultline.tokens.keyring import KeyRing


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    master_keys: MasterKeyRing
    keyring: KeyRing
    api_key_hash_key: bytes
    recorder: SessionRecorder
    catalog: Catalog
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings, *, background: bool = True) -> Runtime:
        """Open the database (migrating when allowed) and load keys. ``background`` starts the
        key-ring refresher and the group-commit writer, which a server wants and a CLI does not."""
        master_keys = load_master_keys(settings)
        catalog = load_catalog(settings.catalog_file)
        engine = create_engine(settings)
        try:
            if settings.auto_migrate:
                await migrate(engine)
            elif not await schema_is_current(engine):
                raise ConfigError("The database schema is not up to date: run `vaultline migrate` first.")
            async with engine.begin() as connection:
                hash_key = await load_or_create_secret(connection, name=API_KEY_HASH_KEY, ring=master_keys)
            keyring = KeyRing(engine, master_keys, refresh_seconds=settings.key_refresh_seconds)
            await keyring.load()
        except BaseException:
            await engine.dispose()
            raise
        runtime = cls(settings, engine, master_keys, keyring, hash_key, SessionRecorder(engine), catalog)
        if background:
            runtime.recorder.start()
            runtime._tasks.append(asyncio.create_task(keyring.keep_fresh(), name="vaultline-keyring-refresh"))
        return runtime

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.recorder.close()
        await self.engine.dispose()
