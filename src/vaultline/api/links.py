"""``/vault/links``: Vault links (links/), created, listed, read and revoked with the API key.
The create answer is the only place a link's URL ever appears: it is stored only hashed."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_application, consumer_id_from
from vaultline.api.body import read_json_body
from vaultline.api.openapi_docs import CONSUMER_HEADER, documented_errors
from vaultline.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_time_id_cursor,
    encode_time_id_cursor,
    page_meta,
)
from vaultline.api.schemas import CreateLinkResponse, LinkResponse, LinksPage
from vaultline.clock import iso_from_ms
from vaultline.consumer_logs.subject import note_consumer
from vaultline.errors import NotFound
from vaultline.links.creation import create_link
from vaultline.links.request import LinkRequest
from vaultline.links.view import link_view
from vaultline.responses import ok
from vaultline.runtime import runtime_of
from vaultline.store.email_outbox import latest_email_of_link
from vaultline.store.vault_links import LinkRecord, get_link, list_links, revoke_link

router = APIRouter(prefix="/vault/links", tags=["Vault links"])

# new_link_id(): "lnk_" and token_urlsafe(12). Anything else cannot exist and must not reach the
# database (PostgreSQL refuses a NUL in a text parameter with an error, not a miss).
_LINK_ID = re.compile(r"lnk_[A-Za-z0-9_\-]{16}")

LINK_BODY: dict[str, Any] = {
    "required": False,
    "description": "A session's body (consumer_metadata, redirect_uri, settings, theme, custom_consumer_settings) "
    "plus expires_in, single_use, send_to and locale; every field optional.",
    "content": {"application/json": {"schema": LinkRequest.model_json_schema()}},
}


@router.post(
    "",
    summary="Create a Vault link",
    operation_id="linksCreate",
    status_code=201,
    openapi_extra={"requestBody": LINK_BODY, "parameters": [CONSUMER_HEADER]},
    response_model=CreateLinkResponse,
    responses={
        200: {"description": "A retry with the same Idempotency-Key: the link it created", "model": CreateLinkResponse},
        **documented_errors(400, 401, 413, 415, 422),
    },
)
async def create_vault_link(request: Request) -> Response:
    """A URL that opens the Hosted Vault for this consumer with a fresh session each time, until
    ``expires_in`` seconds pass or it is revoked; emailed to ``send_to`` when given. A retry
    with the same ``Idempotency-Key`` gets the same link back (200), and sends no second email."""
    application = await authenticate_application(request)
    consumer_id = consumer_id_from(request)
    body = await read_json_body(request, LinkRequest, required=False) or LinkRequest()
    runtime = runtime_of(request)
    created = await create_link(
        runtime, application=application, consumer_id=consumer_id, request=body, creation_key=_idempotency_key(request)
    )
    data = {"id": created.record.id, "url": created.url, "expires_at": iso_from_ms(created.record.expires_at)}
    return ok(data, status_code=200 if created.replayed else 201)


def _idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key (SDKs send one per logical call and reuse it on retries)."""
    key = request.headers.get("idempotency-key", "").strip()
    return key[:255] if key else None


@router.get(
    "",
    summary="List a consumer's Vault links",
    operation_id="linksAll",
    response_model=LinksPage,
    openapi_extra={"parameters": [CONSUMER_HEADER]},
    responses=documented_errors(400, 401),
)
async def list_consumer_links(
    request: Request,
    cursor: str | None = Query(default=None, max_length=512),
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Response:
    """The consumer's links, newest first, with their state (active, expired or revoked)."""
    application = await authenticate_application(request)
    consumer_id = consumer_id_from(request)
    before = decode_time_id_cursor(cursor, is_id=_LINK_ID.fullmatch)
    runtime = runtime_of(request)
    async with runtime.engine.connect() as connection:
        records, next_position = await list_links(
            connection, application_id=application.id, consumer_id=consumer_id, before=before, limit=limit
        )
    next_cursor = encode_time_id_cursor(next_position)
    meta = page_meta(
        request, public_url=runtime.settings.public_url, items=len(records), current=cursor, next_cursor=next_cursor
    )
    now = runtime.clock()
    return ok([link_view(r, now) for r in records], **meta)


@router.get(
    "/{link_id}",
    summary="Get a Vault link",
    operation_id="linksOne",
    response_model=LinkResponse,
    responses=documented_errors(401, 404),
)
async def get_one_link(request: Request, link_id: str) -> Response:
    """A link's state, times and openings, and its email's delivery when it was emailed."""
    application = await authenticate_application(request)
    runtime = runtime_of(request)
    record, email = None, None
    if _LINK_ID.fullmatch(link_id):
        async with runtime.engine.connect() as connection:
            record = await get_link(connection, application_id=application.id, link_id=link_id)
            if record is not None and record.send_to is not None:
                email = await latest_email_of_link(connection, link_id=link_id)
    if record is None:
        raise NotFound(f"No Vault link {link_id!r} in this application")
    _note_link_consumer(request, record)
    return ok(link_view(record, runtime.clock(), email))


@router.delete(
    "/{link_id}",
    summary="Revoke a Vault link",
    operation_id="linksRevoke",
    response_model=LinkResponse,
    responses=documented_errors(401, 404),
)
async def revoke_one_link(request: Request, link_id: str) -> Response:
    """Revoke a link: it stops opening at once (sessions it already opened keep their own
    lifetime; revoke those with DELETE /vault/sessions/{id}). An unsent email is not sent. Idempotent."""
    application = await authenticate_application(request)
    runtime = runtime_of(request)
    record = None
    if _LINK_ID.fullmatch(link_id):
        async with runtime.engine.begin() as connection:
            record = await revoke_link(connection, application_id=application.id, link_id=link_id, now=runtime.clock())
    if record is None:
        raise NotFound(f"No Vault link {link_id!r} in this application")
    _note_link_consumer(request, record)
    return ok(link_view(record, runtime.clock()))


def _note_link_consumer(request: Request, record: LinkRecord) -> None:
    """The consumer log names the link's consumer even when the caller sent no consumer header."""
    note_consumer(request, record.consumer_id)
