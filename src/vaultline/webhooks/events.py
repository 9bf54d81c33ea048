"""``vault.connection.*`` events: their Apideck names and payloads, and ``enqueue_event``, which
writes one to the outbox inside the caller's transaction, so an event exists exactly when the
change it describes was committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import iso_from_ms, now_ms
from vaultline.connection_ids import connection_id
from vaultline.store.webhook_outbox import insert_event
from vaultline.store.webhooks import webhook_enabled
from vaultline.webhooks.event_ids import new_event_id

CONNECTION_CREATED = "vault.connection.created"
CONNECTION_UPDATED = "vault.connection.updated"
CONNECTION_CALLABLE = "vault.connection.callable"
CONNECTION_DISABLED = "vault.connection.disabled"
CONNECTION_DELETED = "vault.connection.deleted"
CONNECTION_REVOKED = "vault.connection.revoked"
CONNECTION_TOKEN_REFRESH_FAILED = "vault.connection.token_refresh.failed"
# Vault links (links/): Vaultline's own events, in the same envelope.
LINK_CREATED = "vault.link.created"
LINK_OPENED = "vault.link.opened"
LINK_EXPIRED = "vault.link.expired"
# The token keeper (oauth/token_keeper.py): refreshes keep failing (``pending_refresh``), and
# a refresh worked again after that.
CONNECTION_TOKEN_REFRESH_PENDING = "vault.connection.token_refresh.pending"
CONNECTION_TOKEN_REFRESH_RECOVERED = "vault.connection.token_refresh.recovered"
# The provider could not be asked whether the credentials work (health ``degraded``), and could again.
CONNECTION_DOWNSTREAM_DEGRADED = "vault.connection.downstream.degraded"
CONNECTION_DOWNSTREAM_RECOVERED = "vault.connection.downstream.recovered"
EVENT_TYPES = frozenset(
    {
        CONNECTION_DOWNSTREAM_DEGRADED,
        CONNECTION_DOWNSTREAM_RECOVERED,
        CONNECTION_CREATED,
        CONNECTION_UPDATED,
        CONNECTION_CALLABLE,
        CONNECTION_DISABLED,
        CONNECTION_DELETED,
        CONNECTION_REVOKED,
        CONNECTION_TOKEN_REFRESH_FAILED,
        LINK_CREATED,
        LINK_OPENED,
        LINK_EXPIRED,
        CONNECTION_TOKEN_REFRESH_PENDING,
        CONNECTION_TOKEN_REFRESH_RECOVERED,
    }
)

# Set on the database connection when an event was enqueued; the delivery worker's commit
# hook pops it and wakes the worker at once instead of at its next poll.
EVENTS_ENQUEUED = "vaultline_webhook_events_enqueued"


async def enqueue_event(
    connection: AsyncConnection, *, application_id: str, type: str, payload: dict[str, Any]
) -> str | None:
    """Put an event in the outbox, in the caller's transaction; returns its id, or None when the
    application has no enabled webhook (nothing would receive it). ``payload`` holds the
    event's fields; ``event_id``, ``event_type``, ``execution_attempt`` and ``occurred_at`` are
    filled in here. The body delivered is ``{"id", "type", "payload": {...}}``."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    if not await webhook_enabled(connection, application_id=application_id):
        return None
    at = now_ms()
    event_id = new_event_id(at)
    inner = {
        "event_id": event_id,
        "event_type": type,
        **payload,
        "execution_attempt": 1,
        "occurred_at": iso_from_ms(at),
    }
    body = {"id": event_id, "type": type, "payload": inner}
    await insert_event(connection, event_id=event_id, application_id=application_id, type=type, payload=body, at=at)
    connection.info[EVENTS_ENQUEUED] = True
    return event_id


def connection_payload(
    *,
    application_id: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    public_url: str,
    entity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Apideck's connection event fields (``entity_id`` is the connection id)."""
    payload: dict[str, Any] = {
        "unified_api": unified_api,
        "service_id": service_id,
        "consumer_id": consumer_id,
        "application_id": application_id,
        "entity_id": connection_id(unified_api, service_id),
        "entity_type": "Connection",
        "entity_url": f"{public_url}/vault/connections/{unified_api}/{service_id}",
    }
    if entity is not None:
        payload["entity"] = entity
    return payload


async def enqueue_connection_event(
    connection: AsyncConnection,
    *,
    type: str,
    application_id: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    public_url: str,
    entity: dict[str, Any] | None = None,
) -> str | None:
    """One ``vault.connection.*`` event, in the caller's transaction. The OAuth flow calls this
    with ``CONNECTION_REVOKED`` or ``CONNECTION_TOKEN_REFRESH_FAILED``."""
    payload = connection_payload(
        application_id=application_id,
        consumer_id=consumer_id,
        unified_api=unified_api,
        service_id=service_id,
        public_url=public_url,
        entity=entity,
    )
    return await enqueue_event(connection, application_id=application_id, type=type, payload=payload)
