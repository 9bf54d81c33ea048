"""The Hosted Vault's logs page: the consumer's recent Vault API calls (the rows of
``GET /vault/logs``), newest first, whether the application's backend or this vault made them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from vaultline.clock import iso_from_ms
from vaultline.errors import NotFound
from vaultline.hosted.page_chrome import page_chrome
from vaultline.hosted.presentation import badge_for
from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.vault_session import open_vault
from vaultline.runtime import runtime_of
from vaultline.store.consumer_logs import LogsFilter, list_consumer_logs

router = APIRouter(prefix="/hosted/{session_id}", include_in_schema=False)
SHOWN = 50


@router.get("/logs")
async def logs_page(request: Request, session_id: str) -> Response:
    runtime = runtime_of(request)
    vault = await open_vault(request, runtime, session_id)
    if not vault.settings.get("show_logs", True) or vault.isolated:
        raise NotFound(vault.gettext("Logs are not part of this session"))
    async with runtime.engine.connect() as connection:
        records, _ = await list_consumer_logs(
            connection,
            application_id=vault.application.id,
            consumer_id=vault.session.consumer_id,
            wanted=LogsFilter(),
            before_pk=None,
            limit=SHOWN,
            visible_apis=vault.settings.get("unified_apis") or None,  # as GET /vault/logs shows this session
        )
    entries = []
    for record in records:
        entry = record.entry
        iso = iso_from_ms(entry.timestamp) or ""
        # The locale's way of writing a date and time, in UTC as the column says.
        moment = datetime.fromtimestamp(entry.timestamp / 1000, tz=UTC)
        entries.append(
            {
                "iso": iso,
                "display": vault.translator.format_datetime(moment),
                # The operation's name is its route's summary, extracted into the catalog.
                "name": vault.gettext(entry.operation_name)
                if vault.translator.has(entry.operation_name)
                else entry.operation_name,
                "request": f"{entry.method} {entry.path}",
                "status": entry.status_code,
                "success": entry.success,
                "by": vault.gettext("You") if entry.caller == "session" else vault.application.name,
            }
        )
    return renderer_of(request).render(
        "logs.html",
        locale=vault.locale,
        embed_origins=vault.application.embed_origins,
        theme=vault.theme,
        page=page_chrome(vault, current="logs"),
        badge_for=partial(badge_for, translator=vault.translator),
        entries=entries,
    )
