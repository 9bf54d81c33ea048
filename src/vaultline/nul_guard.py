"""Refusing a NUL character in a request's path or query string before any route sees it.

PostgreSQL refuses NUL in a text parameter with an error (a 500 if it gets that far), SQLite
stores it, and no id, filter or cursor of ours can contain one. One check here covers every
value that reaches SQL through the URL, including routes added later; the values decoded from
inside a cursor are checked where cursors are decoded (api/pagination.py).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from vaultline.errors import BadRequest, VaultError

_NULS = (b"%00", b"\x00")  # percent-encoded, or raw from a lenient client or server


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = None
            if "\x00" in scope["path"]:
                where = "The request path"
            elif any(nul in scope.get("query_string", b"") for nul in _NULS):
                where = "The query string"
            if where is not None:
                error = BadRequest(f"{where} must not contain a NUL character (%00)")
                await _respond_with(scope, receive, send, error)
                return
        await self.app(scope, receive, send)


async def _respond_with(scope: Scope, receive: Receive, send: Send, error: VaultError) -> None:
    # The app's own VaultError handler: JSON for the API, the friendly page for the Hosted Vault.
    request = Request(scope, receive)
    handler = request.app.exception_handlers[VaultError]
    response = await handler(request, error)
    await response(scope, receive, send)
