"""``/vault/sessions``: mint (Apideck-compatible), and list, inspect, revoke (Vaultline's own)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_application, consumer_id_from
from vaultline.api.body import read_json_body
from vaultline.api.openapi_docs import CONSUMER_HEADER, SESSION_BODY, documented_errors
from vaultline.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_time_id_cursor,
    encode_time_id_cursor,
    page_meta,
)
from vaultline.api.schemas import CreateSessionResponse, SessionResponse, SessionsPage
from vaultline.clock import iso_from_ms, now_ms
from vaultline.errors import NotFound
from vaultline.operator_metrics import operator_metrics
from vaultline.responses import ok
from vaultline.runtime import runtime_of
from vaultline.sessions.minting import mint_session
from vaultline.sessions.request import SessionRequest
from vaultline.store.sessions import SessionRecord, get_session, list_sessions, revoke_session

router = APIRouter(prefix="/vault/sessions", tags=["Sessions"])

# Session ids are ``secrets.token_urlsafe`` values. Anything else cannot exist, and must not
# reach the database: PostgreSQL refuses a NUL in a text parameter with an error, not a miss.
_SESSION_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def is_session_id(value: str) -> bool:
    return _SESSION_ID.fullmatch(value) is not None


@router.post(
    "",
    summary="Create Session",
    operation_id="sessionsCreate",
    openapi_extra={"requestBody": SESSION_BODY, "parameters": [CONSUMER_HEADER]},
    response_model=CreateSessionResponse,
    responses=documented_errors(400, 401, 413, 415, 422),
)
async def create_session(request: Request) -> Response:
    """Mint a short-lived signed session for one consumer and return the Hosted Vault URL."""
    application = await authenticate_application(request)
    consumer_id = consumer_id_from(request)
    body = await read_json_body(request, SessionRequest, required=False) or SessionRequest()
    minted = await mint_session(runtime_of(request), application=application, consumer_id=consumer_id, request=body)
    operator_metrics().sessions_minted.inc()  # here, not in mint_session: the demo link is no API traffic
    return ok({"session_uri": minted.uri, "session_token": minted.token})


def session_view(record: SessionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "application_id": record.application_id,
        "consumer_id": record.consumer_id,
        "state": record.state(now_ms()),
        "created_at": iso_from_ms(record.created_at),
        "expires_at": iso_from_ms(record.expires_at),
        "revoked_at": iso_from_ms(record.revoked_at),
        "redirect_uri": record.redirect_uri,
        "settings": record.settings,
    }


@router.get(
    "",
    summary="List a consumer's sessions",
    operation_id="sessionsAll",
    response_model=SessionsPage,
    openapi_extra={"parameters": [CONSUMER_HEADER]},
    responses=documented_errors(400, 401),
)
async def list_consumer_sessions(
    request: Request,
    cursor: str | None = Query(default=None, max_length=512),
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Response:
    """The consumer's sessions, newest first, with their state (active, expired or revoked)."""
    application = await authenticate_application(request)
    consumer_id = consumer_id_from(request)
    before = decode_time_id_cursor(cursor, is_id=is_session_id)
    async with runtime_of(request).engine.connect() as connection:
        records, next_position = await list_sessions(
            connection, application_id=application.id, consumer_id=consumer_id, before=before, limit=limit
        )
    next_cursor = encode_time_id_cursor(next_position)
    meta = page_meta(
        request,
        public_url=runtime_of(request).settings.public_url,
        items=len(records),
        current=cursor,
        next_cursor=next_cursor,
    )
    return ok([session_view(r) for r in records], **meta)


@router.get(
    "/{session_id}",
    summary="Get a session",
    operation_id="sessionsOne",
    response_model=SessionResponse,
    responses=documented_errors(401, 404),
)
async def get_one_session(request: Request, session_id: str) -> Response:
    """A session's state and times. The session id is the token's ``jti``."""
    application = await authenticate_application(request)
    record = None
    if is_session_id(session_id):
        async with runtime_of(request).engine.connect() as connection:
            record = await get_session(connection, session_id=session_id)
    if record is None or record.application_id != application.id:
        raise NotFound(f"No session {session_id!r} in this application")
    return ok(session_view(record))


@router.delete(
    "/{session_id}",
    summary="Revoke a session",
    operation_id="sessionsRevoke",
    response_model=SessionResponse,
    responses=documented_errors(401, 404),
)
async def revoke_one_session(request: Request, session_id: str) -> Response:
    """Revoke a session: its token stops working at once, on every instance. Idempotent."""
    application = await authenticate_application(request)
    record = None
    if is_session_id(session_id):
        async with runtime_of(request).engine.begin() as connection:
            record = await revoke_session(connection, application_id=application.id, session_id=session_id)
    if record is None:
        raise NotFound(f"No session {session_id!r} in this application")
    return ok(session_view(record))
