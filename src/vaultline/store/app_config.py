"""An application's configuration as the hot paths need it (the row, its offered integrations,
its data scopes), cached per process under ``applications.config_version``.

No time-based guessing: every change to the application row or its offered integrations bumps
the version in the same transaction (``bump_config_version``, called by the store functions
that write them), and every request reads the version from the database, in the same statement
as the row it authenticates with where it can (the session, the Hosted Vault handle, the
connection). A request that reads version N after the change committed finds the cache at an
older version and reloads, so the very next request sees a change, on every instance.

A load reads the version with the data, so what is cached is never older than its version;
it may be newer (a change committed between the two statements), which the next request,
reading the newer version, reloads anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.db.hot_queries import HotQuery, hot_rows
from vaultline.db.schema import applications
from vaultline.store.applications import Application, application_from_row
from vaultline.store.data_scopes import DataScopes, data_scopes_from_json
from vaultline.store.integrations import ApplicationIntegration, list_application_integrations

_MAX_CACHED_APPLICATIONS = 10_000


@dataclass(frozen=True, slots=True)
class AppConfig:
    version: int
    application: Application
    # Enabled offerings the catalog knows, by service id (the cache's ``keep`` decides).
    offerings: dict[str, ApplicationIntegration]
    data_scopes: DataScopes | None


# A hot query: the API-key paths read the version on every request (db/hot_queries.py).
_CONFIG_VERSION = HotQuery(
    select(applications.c.config_version).where(applications.c.id == bindparam("application_id"))
)


async def read_config_version(connection: AsyncConnection, *, application_id: str) -> int | None:
    rows = await hot_rows(connection, _CONFIG_VERSION, {"application_id": application_id})
    return int(rows[0].config_version) if rows else None  # the primary key: one row at most


class AppConfigCache:
    """Per process; ``keep`` filters the offerings once per version (the catalog's service ids)."""

    def __init__(self, keep: Callable[[str], bool]) -> None:
        self._keep = keep
        self._entries: dict[str, AppConfig] = {}

    async def get(self, connection: AsyncConnection, *, application_id: str, version: int | None) -> AppConfig | None:
        """The configuration at ``version`` (read by the caller from the database in this
        request) or newer; None when the application does not exist."""
        if version is None:
            return None
        cached = self._entries.get(application_id)
        if cached is not None and cached.version >= version:
            return cached
        loaded = await self._load(connection, application_id)
        if loaded is None:
            self._entries.pop(application_id, None)
            return None
        if len(self._entries) >= _MAX_CACHED_APPLICATIONS:
            self._entries.clear()
        self._entries[application_id] = loaded
        return loaded

    async def _load(self, connection: AsyncConnection, application_id: str) -> AppConfig | None:
        row = (await connection.execute(select(applications).where(applications.c.id == application_id))).first()
        if row is None:
            return None
        offerings = await list_application_integrations(connection, application_id=application_id)
        return AppConfig(
            version=int(row.config_version),
            application=application_from_row(row),
            offerings={s: o for s, o in offerings.items() if o.enabled and self._keep(s)},
            data_scopes=data_scopes_from_json(row.data_scopes),
        )
