"""Vault link rows: created with the hash of their secret, found by that hash when opened, bound
to a browser (single use), listed newest first, revoked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Row, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.db.schema import vault_links

LinkState = Literal["active", "expired", "revoked"]


@dataclass(frozen=True, slots=True)
class LinkRecord:
    id: str
    application_id: str
    consumer_id: str
    session_request: dict[str, Any]
    single_use: bool
    locale: str | None
    send_to: str | None
    created_at: int
    expires_at: int
    revoked_at: int | None
    binding_hash: str | None
    first_opened_at: int | None
    last_opened_at: int | None
    open_count: int

    def state(self, now: int) -> LinkState:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


def _record(row: Row[Any]) -> LinkRecord:
    return LinkRecord(
        id=row.id,
        application_id=row.application_id,
        consumer_id=row.consumer_id,
        session_request=row.session_request or {},
        single_use=bool(row.single_use),
        locale=row.locale,
        send_to=row.send_to,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        binding_hash=row.binding_hash,
        first_opened_at=row.first_opened_at,
        last_opened_at=row.last_opened_at,
        open_count=row.open_count,
    )


async def insert_link(connection: AsyncConnection, *, record: LinkRecord, secret_hash: str) -> None:
    await connection.execute(
        vault_links.insert().values(
            id=record.id,
            application_id=record.application_id,
            consumer_id=record.consumer_id,
            secret_hash=secret_hash,
            session_request=record.session_request,
            single_use=record.single_use,
            locale=record.locale,
            send_to=record.send_to,
            created_at=record.created_at,
            expires_at=record.expires_at,
            open_count=0,
        )
    )


async def get_link(connection: AsyncConnection, *, application_id: str, link_id: str) -> LinkRecord | None:
    query = select(vault_links).where(vault_links.c.id == link_id, vault_links.c.application_id == application_id)
    row = (await connection.execute(query)).first()
    return _record(row) if row else None


async def find_link_by_secret_hash(connection: AsyncConnection, *, secret_hash: str) -> LinkRecord | None:
    row = (await connection.execute(select(vault_links).where(vault_links.c.secret_hash == secret_hash))).first()
    return _record(row) if row else None


async def list_links(
    connection: AsyncConnection,
    *,
    application_id: str,
    consumer_id: str,
    before: tuple[int, str] | None,
    limit: int,
) -> tuple[list[LinkRecord], tuple[int, str] | None]:
    """Newest first; ``before`` is the (created_at, id) of the last row of the previous page."""
    query = select(vault_links).where(
        vault_links.c.application_id == application_id, vault_links.c.consumer_id == consumer_id
    )
    if before is not None:
        query = query.where(tuple_(vault_links.c.created_at, vault_links.c.id) < tuple_(*before))
    query = query.order_by(vault_links.c.created_at.desc(), vault_links.c.id.desc()).limit(limit + 1)
    rows = (await connection.execute(query)).all()
    page = [_record(row) for row in rows[:limit]]
    cursor = (page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return page, cursor


async def revoke_link(connection: AsyncConnection, *, application_id: str, link_id: str, now: int) -> LinkRecord | None:
    """Revoke (idempotently: the first revocation's time stays) and return the link."""
    await connection.execute(
        update(vault_links)
        .where(
            vault_links.c.id == link_id,
            vault_links.c.application_id == application_id,
            vault_links.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return await get_link(connection, application_id=application_id, link_id=link_id)


async def bind_link(connection: AsyncConnection, *, link_id: str, binding_hash: str) -> bool:
    """Bind an unbound link to a browser. The conditional UPDATE is the race's referee: of two
    browsers opening the link at once, exactly one binds it."""
    result = await connection.execute(
        update(vault_links)
        .where(vault_links.c.id == link_id, vault_links.c.binding_hash.is_(None))
        .values(binding_hash=binding_hash)
    )
    return bool(result.rowcount)


async def note_link_opened(connection: AsyncConnection, *, link_id: str, now: int) -> None:
    await connection.execute(
        update(vault_links)
        .where(vault_links.c.id == link_id)
        .values(
            open_count=vault_links.c.open_count + 1,
            last_opened_at=now,
            first_opened_at=func.coalesce(vault_links.c.first_opened_at, now),
        )
    )


async def note_link_expired(connection: AsyncConnection, *, link_id: str, now: int) -> bool:
    """True the first time only: vault.link.expired is sent once per link."""
    result = await connection.execute(
        update(vault_links)
        .where(vault_links.c.id == link_id, vault_links.c.expired_noted_at.is_(None))
        .values(expired_noted_at=now)
    )
    return bool(result.rowcount)


async def link_binding_hash(connection: AsyncConnection, *, link_id: str) -> str | None:
    query = select(vault_links.c.binding_hash).where(vault_links.c.id == link_id)
    value: str | None = (await connection.execute(query)).scalar_one_or_none()
    return value
