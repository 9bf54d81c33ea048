"""The second step of the CSRF-protected OAuth flow (Apideck's ``connectionsConfirm``).

An authorization started with the application's ``nonce`` stores its tokens unconfirmed: the
connection stays ``authorized`` (health ``pending_confirmation``) and its credentials are not
handed out. The callback returns ``#nonce=…&confirm_token=…&service_id=…`` to the application,
which checks the nonce is its own and then confirms with the token: single-use, 30 minutes, kept
only as a SHA-256 digest. A sign-in finished in someone else's browser therefore never becomes
usable: that browser's application page does not hold the nonce and does not confirm.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from vaultline.clock import now_ms
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import OfferedConnection, offered_definition, read_connection
from vaultline.connections.state import is_pending_confirmation
from vaultline.connections.writes import Confirmation, PendingConfirmation, write_connection_change
from vaultline.errors import BadRequest, Unprocessable
from vaultline.runtime import Runtime
from vaultline.store.data_scopes import get_data_scopes

CONFIRM_TTL_MS = 30 * 60 * 1000


class InvalidConfirmToken(BadRequest):
    type_name = "InvalidConfirmTokenError"
    default_message = "This confirm_token does not belong to this connection's pending authorization"


def confirm_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_pending_confirmation() -> tuple[str, PendingConfirmation]:
    """A fresh confirm token (for the callback's fragment) and what is stored of it."""
    token = secrets.token_urlsafe(32)
    return token, PendingConfirmation(confirm_token_digest(token), now_ms() + CONFIRM_TTL_MS)


async def confirm_connection(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str, *, confirm_token: str
) -> OfferedConnection:
    """Confirm the pending tokens with the confirm token; the connection becomes usable.
    404 without a connection; 422 when nothing waits for confirmation or the token expired;
    400 for any other token. A refused confirmation changes nothing."""
    definition, offering = await offered_definition(runtime, caller, unified_api, service_id)
    async with runtime.engine.begin() as connection:
        before = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        if not is_pending_confirmation(before):
            raise Unprocessable(
                "This connection has no authorization waiting for confirmation",
                detail="It was confirmed already, or it was authorized without a nonce.",
            )
        expected = before.confirm_token_hash or ""
        if not hmac.compare_digest(confirm_token_digest(confirm_token), expected):
            raise InvalidConfirmToken()
        if (before.confirm_expires_at or 0) <= now_ms():
            raise Unprocessable(
                "This confirm_token has expired (30 minutes after the callback). Authorize the connection again.",
                detail={"health": "pending_confirmation"},
            )
        after = await write_connection_change(connection, runtime, definition, before, Confirmation())
        scopes = await get_data_scopes(connection, application_id=caller.application_id)
    return OfferedConnection(definition, offering, after, scopes)
