"""An application's data scopes: the resources and fields its consumers must consent to before
their connections count as healthy (Apideck's ``DataScopes``). Stored as one JSON column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.schema import applications

# {"crm.contacts": {"email": {"read": true, "write": false}}} or "*" (every resource and field)
Resources = dict[str, dict[str, dict[str, bool]]] | str


@dataclass(frozen=True, slots=True)
class DataScopes:
    enabled: bool
    resources: Resources
    updated_at: int  # epoch milliseconds


def data_scopes_from_json(value: Any) -> DataScopes | None:
    if not isinstance(value, dict):
        return None
    return DataScopes(bool(value.get("enabled")), value.get("resources", "*"), int(value.get("updated_at", 0)))


async def get_data_scopes(connection: AsyncConnection, *, application_id: str) -> DataScopes | None:
    query = select(applications.c.data_scopes).where(applications.c.id == application_id)
    return data_scopes_from_json((await connection.execute(query)).scalar_one_or_none())


async def set_data_scopes(
    connection: AsyncConnection, *, application_id: str, enabled: bool, resources: Resources
) -> DataScopes | None:
    """Replace the application's data scopes; ``None`` when there is no such application."""
    scopes = {"enabled": enabled, "resources": resources, "updated_at": now_ms()}
    result = await connection.execute(
        update(applications)
        .where(applications.c.id == application_id)
        .values(data_scopes=scopes, config_version=applications.c.config_version + 1)
    )
    return data_scopes_from_json(scopes) if result.rowcount else None
