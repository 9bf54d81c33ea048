"""The ASGI application: ``create_app(settings)`` wires routes, middleware, error handling
and a lifespan that opens the runtime. Nothing happens at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match

from vaultline import __version__
from vaultline.api import (
    connection_actions,
    connection_confirmation,
    connection_consents,
    connections,
    consumer_stats,
    consumers,
    error_docs,
    links,
    logs,
    metrics,
    provider_disconnect,
    reference_docs,
    resource_settings,
    sessions,
    unsupported_operations,
    well_known,
)
from vaultline.api.auth import ApiKeyCache
from vaultline.api.openapi_docs import install_openapi
from vaultline.auth_throttle import AuthThrottle
from vaultline.client_address import install_trusted_proxies
from vaultline.config import Settings
from vaultline.connections.reverification import keep_verifying
from vaultline.consumer_logs.middleware import ERROR_MESSAGE_KEY, ConsumerLogMiddleware
from vaultline.cors import SessionCorsMiddleware
from vaultline.errors import BadRequest, VaultError, error_for_status
from vaultline.hosted import install_hosted_vault, link_pages, oauth_pages, provider_disconnect_pages, revoke_pages
from vaultline.hosted.error_pages import render_error_page, renders_error_pages
from vaultline.log_escape import escape_for_log
from vaultline.middleware import BodyLimitMiddleware, RequestContextMiddleware, loggable_path
from vaultline.nul_guard import NulGuardMiddleware
from vaultline.oauth.token_keeper import TokenKeeper
from vaultline.request_metrics import LabelledRoute, RequestMetricsMiddleware
from vaultline.responses import PRIVATE, JSONResponse
from vaultline.runtime import Runtime

log = logging.getLogger(__name__)

DESCRIPTION = """Vaultline: a self-hostable integration Vault speaking Apideck Vault's wire format.

Authenticate with your application's API key in `Authorization` (`Bearer <key>` or bare) and
its id in `x-apideck-app-id`. Every error is JSON: `{status_code, error, type_name, message, detail, ref}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.open(settings)
        if settings.verify_credentials:
            runtime.start_task(keep_verifying(runtime), name="vaultline-credential-verifier")
        app.state.runtime = runtime
        # Every serving process keeps OAuth tokens fresh; the row locks make it one refresh per connection.
        app.state.token_keeper = runtime.start_worker(TokenKeeper(runtime)) if settings.token_refresh_worker else None
        app.state.api_key_cache = ApiKeyCache()
        app.state.auth_throttle = AuthThrottle.from_settings(settings)
        try:
            yield
        finally:
            await app.state.auth_throttle.close()
            await runtime.close()

    app = FastAPI(
        title="Vaultline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # see api/reference_docs.py: ours works without a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        # No per-request OpenTelemetry provider lookups; instrument with a real SDK when wanted.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    # The hottest endpoint takes only the Request, so it skips FastAPI's per-request machinery
    # (exit stacks, dependency solving: ~100 µs of ~700). Matched first; the FastAPI route
    # below stays registered for the OpenAPI document.
    app.router.routes.append(LabelledRoute("/vault/sessions", sessions.create_session, methods=["POST"]))
    app.include_router(sessions.router)
    app.include_router(consumer_stats.router)  # before consumers: see consumer_stats.py
    app.include_router(consumers.router)
    app.include_router(connections.router)
    app.include_router(connection_confirmation.router)
    app.include_router(connection_consents.router)
    app.include_router(resource_settings.router)
    app.include_router(unsupported_operations.router)
    app.include_router(connection_actions.router)
    app.include_router(oauth_pages.router)
    app.include_router(revoke_pages.router)
    app.include_router(link_pages.router)
    app.include_router(provider_disconnect_pages.router)
    app.include_router(provider_disconnect.router)
    app.include_router(links.router)
    app.include_router(logs.router)
    app.include_router(well_known.router)
    app.include_router(metrics.router)
    app.include_router(error_docs.router)
    app.include_router(reference_docs.router)
    install_hosted_vault(app)
    install_openapi(app)
    _install_error_handlers(app, settings.public_url)
    app.add_middleware(NulGuardMiddleware)  # inside CORS: a browser can read the 400
    app.add_middleware(SessionCorsMiddleware, public_url=settings.public_url)
    app.add_middleware(BodyLimitMiddleware)
    if settings.consumer_logs:  # inside the access log, outside everything that can refuse a call
        app.add_middleware(ConsumerLogMiddleware)
    app.add_middleware(RequestContextMiddleware, log_requests=settings.access_log)
    if settings.metrics_token is not None:  # outermost, to count every answer (a 413 too); off: no cost
        app.add_middleware(RequestMetricsMiddleware)
    install_trusted_proxies(app, settings.trusted_proxies)
    return app


def _install_error_handlers(app: FastAPI, public_url: str) -> None:
    def _error_response(error: VaultError, request: Request | None = None) -> Response:
        if request is not None:  # the consumer log keeps the message of a failed call
            request.scope.setdefault("state", {})[ERROR_MESSAGE_KEY] = error.message
        if request is not None and renders_error_pages(request.method, request.url.path):
            return render_error_page(request, error)  # the consumer sees a page, not JSON
        headers = {**PRIVATE, **error.headers}
        return JSONResponse(error.to_body(public_url), status_code=error.status_code, headers=headers)

    async def on_vault_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VaultError)
        return _error_response(exc, request)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if isinstance(exc.detail, str) else None
        error = error_for_status(exc.status_code, message)
        if exc.headers:
            error.headers.update(exc.headers)
        if exc.status_code == 405:
            # Starlette names only the first route matching the path; RFC 9110 wants them all.
            error.headers["Allow"] = ", ".join(_allowed_methods(request))
        return _error_response(error, request)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"location": ".".join(str(p) for p in err["loc"]), "message": str(err["msg"])} for err in exc.errors()
        ]
        first = problems[0] if problems else {"location": "request", "message": "invalid"}
        error = BadRequest(f"{first['location']}: {first['message']}", detail={"errors": problems})
        return _error_response(error, request)

    async def on_client_gone(request: Request, _exc: Exception) -> Response:
        # The client closed the connection (or the server did: a body too slow, server_protocol.py)
        # before its body was read. Nobody is left to read an answer; not an error of ours.
        log.info(
            "client went away before its request body was read (rid=%s)",
            request.scope.get("state", {}).get("request_id"),
        )
        return Response(status_code=400)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unhandled error on %s %s (rid=%s)",
            escape_for_log(request.method),
            loggable_path(request.scope["path"]),  # as routed; request.url drops CR and LF
            request.scope.get("state", {}).get("request_id"),
            exc_info=exc,
        )
        return _error_response(VaultError(), request)

    app.add_exception_handler(VaultError, on_vault_error)
    app.add_exception_handler(HTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ClientDisconnect, on_client_gone)
    app.add_exception_handler(Exception, on_unexpected)


def _allowed_methods(request: Request) -> list[str]:
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed
