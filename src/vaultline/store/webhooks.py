"""Each application's webhook endpoint: URL, enabled switch and signing secret (sealed under
the master key, context bound to the application)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.crypto.envelope import open_sealed, seal
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.schema import application_webhooks
from vaultline.store.dialect import insert_for


@dataclass(frozen=True, slots=True, repr=False)
class WebhookEndpoint:
    application_id: str
    url: str
    secret: str
    enabled: bool

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"WebhookEndpoint(application_id={self.application_id!r}, url={self.url!r}, enabled={self.enabled})"


def secret_context(application_id: str) -> str:
    return f"webhook_secret:{application_id}"


async def set_webhook(
    connection: AsyncConnection, *, application_id: str, url: str, secret: str | None, ring: MasterKeyRing
) -> None:
    """Set the URL and enable the webhook; ``secret`` None keeps the stored one (which must exist)."""
    now = now_ms()
    values: dict[str, object] = {"url": url, "enabled": True, "updated_at": now}
    if secret is not None:
        values["secret_sealed"] = seal(ring, secret.encode(), context=secret_context(application_id))
    if secret is None:
        await connection.execute(
            update(application_webhooks).where(application_webhooks.c.application_id == application_id).values(values)
        )
        return
    stmt = insert_for(connection, application_webhooks).values(application_id=application_id, created_at=now, **values)
    await connection.execute(stmt.on_conflict_do_update(index_elements=["application_id"], set_=values))


async def disable_webhook(connection: AsyncConnection, *, application_id: str) -> bool:
    result = await connection.execute(
        update(application_webhooks)
        .where(application_webhooks.c.application_id == application_id)
        .values(enabled=False, updated_at=now_ms())
    )
    return bool(result.rowcount)


async def get_webhook(
    connection: AsyncConnection, *, application_id: str, ring: MasterKeyRing
) -> WebhookEndpoint | None:
    query = select(application_webhooks).where(application_webhooks.c.application_id == application_id)
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    secret = open_sealed(ring, row.secret_sealed, context=secret_context(application_id)).decode()
    return WebhookEndpoint(application_id, row.url, secret, bool(row.enabled))


async def webhook_enabled(connection: AsyncConnection, *, application_id: str) -> bool:
    query = select(application_webhooks.c.enabled).where(application_webhooks.c.application_id == application_id)
    return bool((await connection.execute(query)).scalar())


async def webhook_urls(connection: AsyncConnection) -> dict[str, tuple[str, bool]]:
    """Every configured webhook's URL and enabled flag, by application id (for `apps list`)."""
    rows = await connection.execute(
        select(application_webhooks.c.application_id, application_webhooks.c.url, application_webhooks.c.enabled)
    )
    return {row.application_id: (row.url, bool(row.enabled)) for row in rows}
