"""Applications: the SaaS products (tenants) that mint sessions for their consumers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.clock import now_ms
from vaultline.db.schema import api_keys, applications
from vaultline.strict_url import InvalidUrl, NotHttpUrl, parse_strict_url


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    name: str
    redirect_origins: tuple[str, ...]
    embed_origins: tuple[str, ...]
    is_demo: bool
    created_at: int


class InvalidOrigin(ValueError):
    pass


def normalize_origin(url: str) -> str:
    """``https://App.example.com/some/path`` → ``https://app.example.com`` (default ports dropped),
    read as a browser reads it: a URL browsers could read as another host is refused."""
    try:
        return parse_strict_url(url).origin
    except NotHttpUrl:
        raise InvalidOrigin(f"{url!r} is not an http(s) origin, e.g. https://app.example.com") from None
    except InvalidUrl as exc:
        raise InvalidOrigin(f"{url!r} {exc}") from None


def new_application_id() -> str:
    return "app_" + secrets.token_hex(12)


def application_from_row(row: Row[Any]) -> Application:
    return Application(
        id=row.id,
        name=row.name,
        redirect_origins=tuple(row.redirect_origins),
        embed_origins=tuple(row.embed_origins),
        is_demo=bool(row.is_demo),
        created_at=row.created_at,
    )


async def bump_config_version(connection: AsyncConnection, *, application_id: str) -> None:
    """Call in the transaction that changes the application row or its offered integrations:
    caches of its configuration (store/app_config.py) reload on the next request."""
    await connection.execute(
        update(applications)
        .where(applications.c.id == application_id)
        .values(config_version=applications.c.config_version + 1)
    )


async def create_application(
    connection: AsyncConnection,
    *,
    name: str,
    redirect_origins: list[str] | tuple[str, ...] = (),
    embed_origins: list[str] | tuple[str, ...] = (),
    is_demo: bool = False,
) -> Application:
    app = Application(
        id=new_application_id(),
        name=name,
        redirect_origins=tuple(dict.fromkeys(normalize_origin(o) for o in redirect_origins)),
        embed_origins=tuple(dict.fromkeys(normalize_origin(o) for o in embed_origins)),
        is_demo=is_demo,
        created_at=now_ms(),
    )
    await connection.execute(
        applications.insert().values(
            id=app.id,
            name=app.name,
            redirect_origins=list(app.redirect_origins),
            embed_origins=list(app.embed_origins),
            is_demo=app.is_demo,
            created_at=app.created_at,
        )
    )
    return app


async def get_application(connection: AsyncConnection, *, application_id: str) -> Application | None:
    row = (await connection.execute(select(applications).where(applications.c.id == application_id))).first()
    return application_from_row(row) if row else None


async def find_demo_application(connection: AsyncConnection) -> Application | None:
    query = select(applications).where(applications.c.is_demo.is_(True)).order_by(applications.c.created_at)
    row = (await connection.execute(query)).first()
    return application_from_row(row) if row else None


@dataclass(frozen=True, slots=True)
class ApplicationListing:
    application: Application
    active_key_prefixes: tuple[str, ...]


async def list_applications(connection: AsyncConnection) -> list[ApplicationListing]:
    now = now_ms()
    active = (api_keys.c.expires_at.is_(None)) | (api_keys.c.expires_at > now)
    key_rows = (
        await connection.execute(
            select(api_keys.c.application_id, api_keys.c.display_prefix).where(active).order_by(api_keys.c.created_at)
        )
    ).all()
    prefixes: dict[str, list[str]] = {}
    for key_row in key_rows:
        prefixes.setdefault(key_row.application_id, []).append(key_row.display_prefix)
    rows = (await connection.execute(select(applications).order_by(applications.c.created_at))).all()
    return [ApplicationListing(application_from_row(row), tuple(prefixes.get(row.id, ()))) for row in rows]


async def count_applications(connection: AsyncConnection) -> int:
    return int((await connection.execute(select(func.count()).select_from(applications))).scalar_one())


async def embed_origins_by_application(connection: AsyncConnection) -> dict[str, frozenset[str]]:
    """Every application's embedding origins (for CORS), including applications with none."""
    rows = await connection.execute(select(applications.c.id, applications.c.embed_origins))
    return {row.id: frozenset(row.embed_origins or ()) for row in rows}
