"""The Hosted Vault's lists: integrations (grouped, searchable, with state badges) and
suggestions. The consumer's logs page is in ``logs_page.py``."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vaultline.connections.offered import offered_connections
from vaultline.errors import NotFound
from vaultline.hosted.flash import pop_flash, read_flash
from vaultline.hosted.page_chrome import PageChrome, page_chrome
from vaultline.hosted.presentation import badge_for, grouped
from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.security import page_headers
from vaultline.hosted.suggestions import peer_counts, rank
from vaultline.hosted.vault_session import VaultContext, open_vault
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/hosted/{session_id}", include_in_schema=False)


def _render(
    request: Request,
    vault: VaultContext,
    template: str,
    *,
    current: str,
    page: PageChrome | None = None,
    **context: Any,
) -> Response:
    page = page or page_chrome(vault, current=current)
    return renderer_of(request).render(
        template,
        locale=vault.locale,
        embed_origins=vault.application.embed_origins,
        theme=vault.theme,
        page=page,
        badge_for=partial(badge_for, translator=vault.translator),
        **context,
    )


@router.get("")
async def vault_home(request: Request, session_id: str) -> Response:
    vault = await open_vault(request, runtime_of(request), session_id)
    focus = vault.view.focus
    target = f"/integrations/{focus[0]}/{focus[1]}" if focus and vault.isolated else "/integrations"
    headers = page_headers(nonce=None, embed_origins=vault.application.embed_origins)
    return RedirectResponse(vault.base_path + target, status_code=303, headers=headers)


# FastAPI validates ``q`` against this; the plain route (hosted/hot_routes.py) leaves a longer
# one to FastAPI's route, whose validation error page is then the answer, as before.
MAX_QUERY_LENGTH = 100


@router.get("/integrations")
async def integrations_page(
    request: Request, session_id: str, q: str = Query(default="", max_length=MAX_QUERY_LENGTH)
) -> Response:
    runtime = runtime_of(request)
    vault = await open_vault(request, runtime, session_id)
    if vault.isolated and vault.view.focus:  # isolation: only the connection at hand
        return await vault_home(request, session_id)
    items = [vault.localized(item) for item in await offered_connections(runtime, vault.caller)]
    page = page_chrome(vault, current="integrations")
    flash = read_flash(request)
    if flash is not None and flash.kind == "deleted":
        definition = runtime.catalog.get(flash.service_id)
        name = definition.name if definition else flash.service_id
        page.flash = vault.gettext("%(name)s connection deleted.", name=name)
        page.event = {"type": "connection_delete", "connection": flash.connection_ref()}
    groups = grouped(items, vault.translator, query=q)
    renderer = renderer_of(request)
    listing = renderer.cards.render_groups(groups, base_path=page.base_path, translator=vault.translator)
    response = renderer.render_framed(
        "integrations.html",
        locale=vault.locale,
        listing=listing,
        embed_origins=vault.application.embed_origins,
        theme=vault.theme,
        page=page,
        query=q,
    )
    pop_flash(request, response, vault)
    return response


@router.get("/suggestions")
async def suggestions_page(request: Request, session_id: str) -> Response:
    runtime = runtime_of(request)
    vault = await open_vault(request, runtime, session_id)
    if not vault.settings.get("show_suggestions") or vault.isolated:
        raise NotFound(vault.gettext("Suggestions are not part of this session"))
    items = [vault.localized(item) for item in await offered_connections(runtime, vault.caller)]
    counts = await peer_counts(runtime, application_id=vault.application.id, consumer_id=vault.session.consumer_id)
    suggestions = rank(items, counts, vault.translator)
    return _render(request, vault, "suggestions.html", current="suggestions", suggestions=suggestions)


async def integrations_page_request(request: Request) -> Response:
    """``integrations_page`` for a plain Starlette route: the path and query read as FastAPI
    reads them (``hosted/hot_routes.py`` matches only a ``q`` FastAPI would accept)."""
    return await integrations_page(request, request.path_params["session_id"], request.query_params.get("q", ""))
