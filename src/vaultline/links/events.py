"""``vault.link.*`` webhook events, in the envelope of the ``vault.connection.*`` ones. They never
carry the link's URL (a secret): its id names it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import iso_from_ms
from vaultline.store.vault_links import LinkRecord
from vaultline.webhooks.events import enqueue_event


def link_entity(record: LinkRecord, *, now: int) -> dict[str, Any]:
    return {
        "id": record.id,
        "consumer_id": record.consumer_id,
        "state": record.state(now),
        "single_use": record.single_use,
        "created_at": iso_from_ms(record.created_at),
        "expires_at": iso_from_ms(record.expires_at),
        "revoked_at": iso_from_ms(record.revoked_at),
        "emailed": record.send_to is not None,
    }


async def enqueue_link_event(
    connection: AsyncConnection, *, type: str, record: LinkRecord, public_url: str, now: int, **extra: Any
) -> str | None:
    payload = {
        "consumer_id": record.consumer_id,
        "application_id": record.application_id,
        "entity_id": record.id,
        "entity_type": "VaultLink",
        "entity_url": f"{public_url}/vault/links/{record.id}",
        "entity": link_entity(record, now=now),
        **extra,
    }
    return await enqueue_event(connection, application_id=record.application_id, type=type, payload=payload)
