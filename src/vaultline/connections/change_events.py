"""Which ``vault.connection.*`` events a change produces, from the connection before and after:

- the row was created → ``created`` (plus ``callable`` if it is usable at once);
- ``enabled`` went true → false → ``disabled`` (only);
- anything else changed → ``updated``, plus ``callable`` when the connection became usable
  (state turned ``callable`` while enabled, or a callable connection was re-enabled);
- the row was deleted → ``deleted``. Nothing changed → no event;
- and, whatever else happened, the provider became unreachable → ``downstream.degraded``, or
  reachable again → ``downstream.recovered`` (what calling the provider taught is not "data":
  alone, it makes no ``updated``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connection_ids import connection_id
from vaultline.connections.health import health_fields
from vaultline.connections.state import connection_state
from vaultline.db.schema import connections
from vaultline.store.connections import ConnectionRecord
from vaultline.store.data_scopes import DataScopes, get_data_scopes
from vaultline.store.provider_marks import ProviderMarks
from vaultline.webhooks.events import (
    CONNECTION_CALLABLE,
    CONNECTION_CREATED,
    CONNECTION_DELETED,
    CONNECTION_DISABLED,
    CONNECTION_DOWNSTREAM_DEGRADED,
    CONNECTION_DOWNSTREAM_RECOVERED,
    CONNECTION_UPDATED,
    enqueue_connection_event,
)


@dataclass(frozen=True, slots=True)
class ConnectionSnapshot:
    enabled: bool
    state: str
    record: ConnectionRecord

    @property
    def usable(self) -> bool:
        return self.enabled and self.state == "callable"

    @property
    def degraded(self) -> bool:
        return self.record.provider.degraded

    def same_data(self, other: ConnectionSnapshot) -> bool:
        # updated_at moves on every save; a save that changed nothing is not an update. What the
        # provider taught has events of its own.
        def data(record: ConnectionRecord) -> ConnectionRecord:
            return replace(record, updated_at=0, provider=ProviderMarks())

        return data(self.record) == data(other.record)


def snapshot(definition: IntegrationDefinition, record: ConnectionRecord) -> ConnectionSnapshot:
    return ConnectionSnapshot(record.enabled, connection_state(definition, record), record)


def change_events(before: ConnectionSnapshot | None, after: ConnectionSnapshot | None, *, created: bool) -> list[str]:
    if after is None:
        return [CONNECTION_DELETED] if before is not None else []
    return [*_data_events(before, after, created=created), *_downstream_events(before, after)]


def _data_events(before: ConnectionSnapshot | None, after: ConnectionSnapshot, *, created: bool) -> list[str]:
    if created or before is None:
        return [CONNECTION_CREATED, *([CONNECTION_CALLABLE] if after.usable else [])]
    if before.enabled and not after.enabled:
        return [CONNECTION_DISABLED]
    if before.same_data(after):
        return []
    return [CONNECTION_UPDATED, *([CONNECTION_CALLABLE] if after.usable and not before.usable else [])]


def _downstream_events(before: ConnectionSnapshot | None, after: ConnectionSnapshot) -> list[str]:
    was_degraded = before is not None and before.degraded
    if after.degraded and not was_degraded:
        return [CONNECTION_DOWNSTREAM_DEGRADED]
    # Recovered means the provider answered (accepted or refused), not that the credentials it
    # could not judge were cleared or replaced.
    answered = after.record.provider.verified_at is not None or after.record.validation_error is not None
    if was_degraded and not after.degraded and answered:
        return [CONNECTION_DOWNSTREAM_RECOVERED]
    return []


def connection_entity(
    definition: IntegrationDefinition, record: ConnectionRecord, scopes: DataScopes | None = None
) -> dict[str, Any]:
    """The connection as Apideck's events carry it: identity, state and health, never settings."""
    return {
        "id": connection_id(record.unified_api, record.service_id),
        "consumer_id": record.consumer_id,
        "unified_api": record.unified_api,
        "service_id": record.service_id,
        "name": definition.name,
        "auth_type": definition.auth_type,
        "enabled": record.enabled,
        "state": connection_state(definition, record),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        **health_fields(definition, record, scopes),
    }


async def enqueue_connection_change(
    connection: AsyncConnection,
    *,
    definition: IntegrationDefinition,
    before: ConnectionRecord | None,
    after: ConnectionRecord | None,
    created: bool,
    public_url: str,
) -> list[str]:
    """Enqueue the events of one change, in the caller's transaction (call it before commit).
    ``before`` is the row as read before the change (the fresh row when ``created``)."""
    old = snapshot(definition, before) if before is not None and not created else None
    new = snapshot(definition, after) if after is not None else None
    types = change_events(old, new, created=created)
    subject = after or before
    if subject is None:
        return []
    if not types:
        return []
    entity = None
    if after is not None:
        scopes = await get_data_scopes(connection, application_id=subject.application_id)
        entity = connection_entity(definition, after, scopes)
    for event_type in types:
        await enqueue_connection_event(
            connection,
            type=event_type,
            application_id=subject.application_id,
            consumer_id=subject.consumer_id,
            unified_api=subject.unified_api,
            service_id=subject.service_id,
            public_url=public_url,
            entity=entity,
        )
    return types


async def enqueue_consumer_connections_deleted(
    connection: AsyncConnection, *, application_id: str, consumer_id: str, public_url: str
) -> int:
    """A ``deleted`` event for each of the consumer's connections; call it in the transaction
    that deletes the consumer, before the rows go."""
    query = (
        select(connections.c.unified_api, connections.c.service_id)
        .where(connections.c.application_id == application_id, connections.c.consumer_id == consumer_id)
        .order_by(connections.c.pk)
    )
    rows = (await connection.execute(query)).all()
    for row in rows:
        await enqueue_connection_event(
            connection,
            type=CONNECTION_DELETED,
            application_id=application_id,
            consumer_id=consumer_id,
            unified_api=row.unified_api,
            service_id=row.service_id,
            public_url=public_url,
        )
    return len(rows)
