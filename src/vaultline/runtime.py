"""Everything a running Vaultline holds open: engine, master keys, key ring, caches, writers.

Built by ``Runtime.open`` from a ``Settings`` (in the app's lifespan, or by a CLI command),
never at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request

from vaultline.catalog.loader import Catalog, load_catalog
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.consumer_logs.recorder import LogRecorder
from vaultline.consumer_logs.retention import keep_consumer_logs_pruned
from vaultline.crypto.master_key import ConfigError, MasterKeyRing, load_master_keys
from vaultline.db.driver_pool import driver_pool_size
from vaultline.db.engine import create_engine, migrate, schema_is_current
from vaultline.db.inline_reads import Reads
from vaultline.db.sqlite_files import sqlite_database_file
from vaultline.keyed_locks import KeyedLocks
from vaultline.mail.delivery import EmailDeliverer
from vaultline.sessions.handle_pruning import keep_hosted_handles_pruned
from vaultline.sessions.recorder import SessionRecorder
from vaultline.smtp_url import SmtpTarget, parse_smtp_url
from vaultline.store.app_config import AppConfigCache
from vaultline.store.server_secrets import API_KEY_HASH_KEY, load_or_create_secret
from vaultline.tokens.keyring import KeyRing
from vaultline.webhooks.delivery import WebhookDeliverer

log = logging.getLogger(__name__)

_CLOSE_TIMEOUT_SECONDS = 15


class BackgroundWorker(Protocol):
    """A worker a flow above the runtime runs in a serving process (e.g. oauth/token_keeper.py):
    the runtime cannot import it, so the app starts it here and the runtime stops it."""

    def start(self) -> None: ...

    async def close(self) -> None: ...


Worker = TypeVar("Worker", bound=BackgroundWorker)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    master_keys: MasterKeyRing
    keyring: KeyRing
    api_key_hash_key: bytes
    recorder: SessionRecorder
    catalog: Catalog
    webhooks: WebhookDeliverer | None = None
    emails: EmailDeliverer | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _workers: list[BackgroundWorker] = field(default_factory=list)
    # One OAuth token refresh per connection at a time in this process (see oauth/refresh.py).
    oauth_refresh_locks: KeyedLocks = field(default_factory=KeyedLocks)
    consumer_logs: LogRecorder = field(init=False)
    # Epoch milliseconds for rules that depend on the time (a Vault link's expiry); tests replace it.
    clock: Callable[[], int] = now_ms
    # Each application's configuration, under its config version (store/app_config.py).
    app_configs: AppConfigCache = field(init=False)
    _reads: Reads = field(init=False)

    def __post_init__(self) -> None:
        self.consumer_logs = LogRecorder(self.engine)
        self.app_configs = AppConfigCache(keep=lambda service_id: self.catalog.get(service_id) is not None)
        sqlite_file = None
        if self.settings.backend == "sqlite":
            sqlite_file = sqlite_database_file(self.settings.async_database_url)
        self._reads = Reads(self.engine, sqlite_file, driver_pool_size=driver_pool_size(self.settings.db_pool_size))

    def reader(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for the hot paths' reads (never for writes): see db/inline_reads.py."""
        return self._reads.connect()

    @classmethod
    async def open(cls, settings: Settings, *, background: bool = True) -> Runtime:
        """Open the database (migrating when allowed) and load keys. ``background`` starts the
        key-ring refresher, the group-commit writer and the webhook delivery worker, which a
        server wants and a CLI does not."""
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
            runtime.consumer_logs.start()
            runtime._tasks.append(
                asyncio.create_task(
                    keep_consumer_logs_pruned(engine, retention_days=settings.log_retention_days),
                    name="vaultline-consumer-log-retention",
                )
            )
            runtime._tasks.append(
                asyncio.create_task(keep_hosted_handles_pruned(engine), name="vaultline-hosted-handle-pruning")
            )
            runtime._tasks.append(asyncio.create_task(keyring.keep_fresh(), name="vaultline-keyring-refresh"))
            runtime.webhooks = WebhookDeliverer(engine, master_keys, settings)
            runtime.webhooks.start()
            if runtime.smtp_target is not None:
                runtime.emails = EmailDeliverer(engine, master_keys, settings, runtime.smtp_target)
                runtime.emails.start()
        return runtime

    @property
    def smtp_target(self) -> SmtpTarget | None:
        """Where emails go; None without ``VAULTLINE_SMTP_URL`` (validated at start-up)."""
        url = self.settings.smtp_url
        return parse_smtp_url(url.get_secret_value()) if url is not None else None

    def start_worker(self, worker: Worker) -> Worker:
        """Start ``worker`` now and stop it first at ``close`` (its work may enqueue webhooks)."""
        worker.start()
        self._workers.append(worker)
        return worker

    def start_task(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        """A background task of a flow above the runtime (the credential verifier), started by
        the app's lifespan and cancelled by ``close`` like the runtime's own."""
        self._tasks.append(asyncio.create_task(work, name=name))

    async def close(self) -> None:
        for worker in self._workers:
            await _bounded(worker.close(), type(worker).__name__)
        if self.webhooks is not None:
            await _bounded(self.webhooks.close(), "webhook delivery")
        if self.emails is not None:
            await _bounded(self.emails.close(), "email delivery")
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await _bounded(self.recorder.close(), "session recorder")
        await _bounded(self.consumer_logs.close(), "consumer log writer")
        await self._reads.close()
        await self.engine.dispose()


def runtime_of(request: Request) -> Runtime:
    """The runtime the app's lifespan opened, for a route or page handling ``request``."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _bounded(closing: Coroutine[Any, Any, None], what: str) -> None:
    """A shutdown step that cannot finish (a database that stopped answering) must not keep
    the process from exiting: give up after a while and say so."""
    try:
        await asyncio.wait_for(closing, timeout=_CLOSE_TIMEOUT_SECONDS)
    except TimeoutError:
        log.warning("%s did not stop within %d s; stopping anyway", what, _CLOSE_TIMEOUT_SECONDS)
