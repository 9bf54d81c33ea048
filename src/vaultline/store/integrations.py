"""Which integrations an application offers, and its OAuth client for each (secret sealed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.crypto.envelope import open_sealed, seal
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.schema import application_integrations
from vaultline.store.applications import bump_config_version
from vaultline.store.dialect import insert_for


@dataclass(frozen=True, slots=True)
class ApplicationIntegration:
    application_id: str
    service_id: str
    enabled: bool
    oauth_client_id: str | None
    has_oauth_client_secret: bool


@dataclass(frozen=True, slots=True, repr=False)
class OAuthClient:
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # the secret must never reach a log line
        return f"OAuthClient(client_id={self.client_id!r})"


def oauth_secret_context(application_id: str, service_id: str) -> str:
    return f"oauth_client_secret:{application_id}:{service_id}"


async def set_integrations_enabled(
    connection: AsyncConnection, *, application_id: str, service_ids: list[str], enabled: bool
) -> None:
    """Offer (or stop offering) integrations; an OAuth client already set is kept either way."""
    if not service_ids:
        return
    now = now_ms()
    rows = [
        {"application_id": application_id, "service_id": s, "enabled": enabled, "created_at": now, "updated_at": now}
        for s in dict.fromkeys(service_ids)
    ]
    stmt = insert_for(connection, application_integrations).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["application_id", "service_id"],
        set_={"enabled": stmt.excluded.enabled, "updated_at": stmt.excluded.updated_at},
    )
    await connection.execute(stmt)
    await bump_config_version(connection, application_id=application_id)


async def offer_new_integrations(connection: AsyncConnection, *, application_id: str, service_ids: list[str]) -> None:
    """Offer integrations the application has never had a row for; leaves disabled ones alone,
    so an operator's ``integrations disable`` survives the demo's start-up."""
    if not service_ids:
        return
    now = now_ms()
    rows = [
        {"application_id": application_id, "service_id": s, "enabled": True, "created_at": now, "updated_at": now}
        for s in dict.fromkeys(service_ids)
    ]
    stmt = insert_for(connection, application_integrations).values(rows)
    await connection.execute(stmt.on_conflict_do_nothing(index_elements=["application_id", "service_id"]))
    await bump_config_version(connection, application_id=application_id)


async def list_application_integrations(
    connection: AsyncConnection, *, application_id: str
) -> dict[str, ApplicationIntegration]:
    t = application_integrations
    query = select(t.c.service_id, t.c.enabled, t.c.oauth_client_id, t.c.oauth_client_secret_sealed).where(
        t.c.application_id == application_id
    )
    return {
        row.service_id: ApplicationIntegration(
            application_id,
            row.service_id,
            bool(row.enabled),
            row.oauth_client_id,
            row.oauth_client_secret_sealed is not None,
        )
        for row in await connection.execute(query)
    }


async def offered_service_ids(connection: AsyncConnection, *, application_id: str) -> set[str]:
    t = application_integrations
    query = select(t.c.service_id).where(t.c.application_id == application_id, t.c.enabled.is_(True))
    return set((await connection.execute(query)).scalars())


async def set_oauth_client(
    connection: AsyncConnection,
    *,
    application_id: str,
    service_id: str,
    client_id: str,
    client_secret: str,
    ring: MasterKeyRing,
) -> None:
    """Store the application's OAuth client for a service; the row is created not offered if new."""
    now = now_ms()
    sealed = seal(ring, client_secret.encode(), context=oauth_secret_context(application_id, service_id))
    stmt = insert_for(connection, application_integrations).values(
        application_id=application_id,
        service_id=service_id,
        enabled=False,
        oauth_client_id=client_id,
        oauth_client_secret_sealed=sealed,
        created_at=now,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["application_id", "service_id"],
        set_={
            "oauth_client_id": stmt.excluded.oauth_client_id,
            "oauth_client_secret_sealed": stmt.excluded.oauth_client_secret_sealed,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    await connection.execute(stmt)
    await bump_config_version(connection, application_id=application_id)


async def get_oauth_client(
    connection: AsyncConnection, *, application_id: str, service_id: str, ring: MasterKeyRing
) -> OAuthClient | None:
    t = application_integrations
    row = (
        await connection.execute(
            select(t.c.oauth_client_id, t.c.oauth_client_secret_sealed).where(
                t.c.application_id == application_id, t.c.service_id == service_id
            )
        )
    ).first()
    if row is None or row.oauth_client_id is None or row.oauth_client_secret_sealed is None:
        return None
    secret = open_sealed(ring, row.oauth_client_secret_sealed, context=oauth_secret_context(application_id, service_id))
    return OAuthClient(row.oauth_client_id, secret.decode())
