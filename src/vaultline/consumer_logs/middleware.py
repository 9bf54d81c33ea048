"""Pure-ASGI middleware that logs each Vault API call made for a consumer.

It measures the call and notes its status; once the response has been sent, it builds one
``LogEntry`` from what authentication left in the scope (see ``subject.py``) and the matched
route, and hands it to the ``LogRecorder`` queue: no I/O on the request path. Anything going
wrong while recording is logged and swallowed; the caller already has their answer.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from vaultline.consumer_logs.subject import SUBJECT_KEY, LogSubject
from vaultline.middleware import StatusNotingSend
from vaultline.store.consumer_logs import LogEntry

log = logging.getLogger(__name__)

LOGGED_PREFIX = "/vault/"
MAX_PATH = 1000
ERROR_MESSAGE_KEY = "vaultline.error_message"  # set by the error handler, see app.py
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# /vault paths carry no credentials, but a client may paste one anywhere: never store a JWT
# (three base64url parts starting eyJ) or an API key (vl_…) even if one shows up in a path.
_SECRET_LIKE = re.compile(r"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*|vl_[A-Za-z0-9_\-]{8,}")


def clean_path(path: str) -> str:
    return _SECRET_LIKE.sub("[redacted]", _CONTROL_CHARS.sub("", path))[:MAX_PATH]


def _clean_name(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return _CONTROL_CHARS.sub("", value)[:limit] or None


class ConsumerLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._operations: dict[tuple[str, str], tuple[str, str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LOGGED_PREFIX):
            await self.app(scope, receive, send)
            return
        started_ns = time.time_ns()
        started = time.perf_counter()
        noting = StatusNotingSend(send)
        try:
            await self.app(scope, receive, noting)
        finally:
            subject = scope.get("state", {}).get(SUBJECT_KEY)
            if subject is not None and not subject.skip:
                try:
                    self._record(scope, subject, noting.status, started_ns, time.perf_counter() - started)
                except Exception:
                    log.warning("could not queue a consumer log row", exc_info=True)

    def _record(self, scope: Scope, subject: LogSubject, status: int, started_ns: int, seconds: float) -> None:
        consumer_id = subject.consumer_id
        path_params: dict[str, Any] = scope.get("path_params") or {}
        if consumer_id is None and subject.caller == "api_key":
            consumer_id = _path_consumer_id(path_params.get("consumer_id"))  # /vault/consumers/{consumer_id}
        if subject.application_id is None or subject.caller is None or consumer_id is None:
            return
        operation_id, operation_name = self._operation(scope)
        message = scope.get("state", {}).get(ERROR_MESSAGE_KEY)
        entry = LogEntry(
            application_id=subject.application_id,
            consumer_id=consumer_id,
            caller=subject.caller,
            method=scope["method"],
            path=clean_path(scope["path"]),
            status_code=status,
            duration_us=int(seconds * 1_000_000),
            timestamp=started_ns // 1_000_000,
            operation_id=operation_id[:64],
            operation_name=operation_name[:200],
            unified_api=_clean_name(path_params.get("unified_api"), 64),
            service_id=_clean_name(path_params.get("service_id"), 64),
            error_message=message[:500] if isinstance(message, str) and status >= 400 else None,
        )
        scope["app"].state.runtime.consumer_logs.enqueue(entry)

    def _operation(self, scope: Scope) -> tuple[str, str]:
        """The OpenAPI operation id and summary of the matched route. A hot route served by a
        plain Starlette ``Route`` (POST /vault/sessions) has none itself: it is looked up in
        the OpenAPI document, where the same endpoint is documented under a fixed path."""
        route = scope.get("route")
        if isinstance(route, APIRoute) and route.operation_id:
            return route.operation_id, route.summary or route.operation_id
        if self._operations is None:
            self._operations = {
                (method.upper(), path): (op["operationId"], op.get("summary") or op["operationId"])
                for path, methods in scope["app"].openapi().get("paths", {}).items()
                for method, op in methods.items()
                if isinstance(op, dict) and "operationId" in op
            }
        return self._operations.get((scope["method"], scope["path"]), ("unknown", "Unknown operation"))


def _path_consumer_id(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= 255 and not _CONTROL_CHARS.search(value):
        return value
    return None
