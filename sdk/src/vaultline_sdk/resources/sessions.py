"""``sdk.sessions``: mint (the seeds' ``sessions_create``), list, get, revoke, and verify a token offline."""

from __future__ import annotations

from typing import Unpack
from urllib.parse import quote

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk._pagination import AsyncPage, SyncPage
from vaultline_sdk.models.operations import SessionsCreateRequest, SessionsCreateResponse, SessionsCreateSecurity
from vaultline_sdk.models.shared import (
    CreateSessionResponse,
    CreateSessionResponseData,
    GetSessionResponse,
    GetSessionsResponse,
    Session,
    SessionDetails,
)
from vaultline_sdk.session_tokens import SessionTokenClaims, token_key_id, verify_session_token

_PATH = "/vault/sessions"


def _create_call(
    client: BaseClient,
    request: SessionsCreateRequest,
    security: SessionsCreateSecurity | None,
    options: RequestOptions,
) -> APIRequest:
    headers = client.headers_for(
        api_key=security.api_key if security else None,
        app_id=request.x_apideck_app_id,
        consumer_id=request.x_apideck_consumer_id,
    )
    # No session means an empty POST: the wire contract accepts it and applies every default.
    body = request.session.to_wire() if request.session is not None else None
    return APIRequest.build("POST", _PATH, headers=headers, options=options, json_body=body)


def _list_call(
    client: BaseClient, consumer_id: str, cursor: str | None, limit: int | None, options: RequestOptions
) -> APIRequest:
    params: dict[str, str | int] = {}
    if cursor:
        params["cursor"] = cursor
    if limit is not None:
        params["limit"] = limit
    headers = client.headers_for(consumer_id=consumer_id)
    return APIRequest.build("GET", _PATH, headers=headers, options=options, params=params)


def _one_call(client: BaseClient, method: str, session_id: str, options: RequestOptions) -> APIRequest:
    return APIRequest.build(
        method, f"{_PATH}/{quote(session_id, safe='')}", headers=client.headers_for(), options=options
    )


class Sessions:
    """Sessions: short-lived signed links that open the Hosted Vault for one consumer."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def sessions_create(
        self,
        request: SessionsCreateRequest,
        security: SessionsCreateSecurity | None = None,
        **options: Unpack[RequestOptions],
    ) -> SessionsCreateResponse:
        """Create Session: mint a Hosted Vault session for ``request.x_apideck_consumer_id``.

        Redirect the consumer to ``res.create_session_response.data.session_uri``. The token lasts
        ``settings.session_length`` (1 hour by default, at most a week).

        Args:
            request: the consumer, the application and the optional ``session`` body.
            security: this call's API key; defaults to the client's.
            **options: ``timeout``, ``max_retries``, ``extra_headers``, ``idempotency_key``.

        Raises:
            AuthenticationError: the API key is wrong (401).
            BadRequestError: an invalid body or header (400).
            APIConnectionError: the server could not be reached.
        """
        response = self._client.send(_create_call(self._client, request, security, options))
        parsed = self._client.parse(response, CreateSessionResponse)
        return SessionsCreateResponse(
            status_code=response.status_code,
            content_type=response.headers.get("content-type", ""),
            raw_response=response,
            create_session_response=parsed,
        )

    def create(
        self, consumer_id: str, session: Session | None = None, **options: Unpack[RequestOptions]
    ) -> CreateSessionResponseData:
        """Mint a session for ``consumer_id``; returns ``session_uri`` and ``session_token``.

        The short form of ``sessions_create``, using the client's API key and application id.
        """
        request = SessionsCreateRequest(x_apideck_consumer_id=consumer_id, session=session)
        return self.sessions_create(request, **options).create_session_response.data

    def list(
        self,
        consumer_id: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> SyncPage[SessionDetails]:
        """The consumer's sessions, newest first, each ``active``, ``expired`` or ``revoked``.

        Iterating the returned page fetches the following pages as needed.
        """
        response = self._client.send(_list_call(self._client, consumer_id, cursor, limit, options))
        page = self._client.parse(response, GetSessionsResponse)
        return SyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(consumer_id, cursor=next_cursor, limit=limit, **options),
        )

    def get(self, session_id: str, **options: Unpack[RequestOptions]) -> SessionDetails:
        """One session's state and times. ``session_id`` is the token's ``jti``."""
        response = self._client.send(_one_call(self._client, "GET", session_id, options))
        return self._client.parse(response, GetSessionResponse).data

    def revoke(self, session_id: str, **options: Unpack[RequestOptions]) -> SessionDetails:
        """Revoke a session: its token stops working at once. Revoking twice is harmless."""
        response = self._client.send(_one_call(self._client, "DELETE", session_id, options))
        return self._client.parse(response, GetSessionResponse).data

    def verify_token(self, token: str, *, issuer: str | None = None, leeway: float = 5.0) -> SessionTokenClaims:
        """Check a session token's signature and claims against the server's JWKS, without asking
        the server about this token (so a revocation is not seen; use ``get`` for that).

        The JWKS is fetched once and cached; it is fetched again when a token names a new key.
        ``issuer`` defaults to ``server_url`` (set it when the server's public URL differs).
        Needs the ``verify`` extra (``pip install 'vaultline-sdk[verify]'``); without it,
        ``ConfigurationError`` says so before any request.
        """
        if self._client.jwks_cache.needs_fetch(token_key_id(token)):
            response = self._client.send(self._client.jwks_request())
            self._client.jwks_cache.store(self._client.parse_json(response))
        assert self._client.jwks_cache.jwks is not None
        return verify_session_token(
            token, self._client.jwks_cache.jwks, issuer=issuer or self._client.config.server_url, leeway=leeway
        )


class AsyncSessions:
    """Sessions: short-lived signed links that open the Hosted Vault for one consumer."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def sessions_create(
        self,
        request: SessionsCreateRequest,
        security: SessionsCreateSecurity | None = None,
        **options: Unpack[RequestOptions],
    ) -> SessionsCreateResponse:
        """Create Session: mint a Hosted Vault session for ``request.x_apideck_consumer_id``.

        Redirect the consumer to ``res.create_session_response.data.session_uri``. The token lasts
        ``settings.session_length`` (1 hour by default, at most a week).

        Args:
            request: the consumer, the application and the optional ``session`` body.
            security: this call's API key; defaults to the client's.
            **options: ``timeout``, ``max_retries``, ``extra_headers``, ``idempotency_key``.

        Raises:
            AuthenticationError: the API key is wrong (401).
            BadRequestError: an invalid body or header (400).
            APIConnectionError: the server could not be reached.
        """
        response = await self._client.send(_create_call(self._client, request, security, options))
        parsed = self._client.parse(response, CreateSessionResponse)
        return SessionsCreateResponse(
            status_code=response.status_code,
            content_type=response.headers.get("content-type", ""),
            raw_response=response,
            create_session_response=parsed,
        )

    async def create(
        self, consumer_id: str, session: Session | None = None, **options: Unpack[RequestOptions]
    ) -> CreateSessionResponseData:
        """Mint a session for ``consumer_id``; returns ``session_uri`` and ``session_token``."""
        request = SessionsCreateRequest(x_apideck_consumer_id=consumer_id, session=session)
        return (await self.sessions_create(request, **options)).create_session_response.data

    async def list(
        self,
        consumer_id: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPage[SessionDetails]:
        """The consumer's sessions, newest first. ``async for`` over the page fetches the following pages."""
        response = await self._client.send(_list_call(self._client, consumer_id, cursor, limit, options))
        page = self._client.parse(response, GetSessionsResponse)
        return AsyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(consumer_id, cursor=next_cursor, limit=limit, **options),
        )

    async def get(self, session_id: str, **options: Unpack[RequestOptions]) -> SessionDetails:
        """One session's state and times. ``session_id`` is the token's ``jti``."""
        response = await self._client.send(_one_call(self._client, "GET", session_id, options))
        return self._client.parse(response, GetSessionResponse).data

    async def revoke(self, session_id: str, **options: Unpack[RequestOptions]) -> SessionDetails:
        """Revoke a session: its token stops working at once. Revoking twice is harmless."""
        response = await self._client.send(_one_call(self._client, "DELETE", session_id, options))
        return self._client.parse(response, GetSessionResponse).data

    async def verify_token(self, token: str, *, issuer: str | None = None, leeway: float = 5.0) -> SessionTokenClaims:
        """Check a session token's signature and claims against the server's JWKS (cached), offline.
        See ``Sessions.verify_token``."""
        if self._client.jwks_cache.needs_fetch(token_key_id(token)):
            response = await self._client.send(self._client.jwks_request())
            self._client.jwks_cache.store(self._client.parse_json(response))
        assert self._client.jwks_cache.jwks is not None
        return verify_session_token(
            token, self._client.jwks_cache.jwks, issuer=issuer or self._client.config.server_url, leeway=leeway
        )
