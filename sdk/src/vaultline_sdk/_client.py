"""``SDK`` and ``AsyncSDK``: the entry points, with identical resources and methods."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import httpx

from vaultline_sdk._base_client import AsyncAPIClient, SyncAPIClient
from vaultline_sdk._config import resolve_config
from vaultline_sdk._constants import DEFAULT_MAX_RETRIES
from vaultline_sdk.resources import (
    AsyncConnectionConsents,
    AsyncConnectionOAuth,
    AsyncConnections,
    AsyncConnectionSettings,
    AsyncConsumers,
    AsyncLogs,
    AsyncSessions,
    AsyncVaultLinks,
    ConnectionConsents,
    ConnectionOAuth,
    Connections,
    ConnectionSettings,
    Consumers,
    Logs,
    Sessions,
    VaultLinks,
)

_SETTINGS_DOC = """
    Every setting comes from its argument, else from the environment, else a clear
    ``ConfigurationError`` when a call needs it.

    Args:
        server_url: the Vault server, e.g. ``"http://127.0.0.1:8000"`` (``VAULTLINE_SERVER_URL``).
            Any server speaking Apideck Vault's wire format works, Apideck's own included.
        api_key: your application's API key (``VAULTLINE_API_KEY``); a call's ``security`` overrides it.
        app_id: your application's id, sent as ``x-apideck-app-id`` (``VAULTLINE_APP_ID``).
        session_token: call as a consumer instead, as a browser does: every call sends
            ``Authorization: Bearer <token>``, ``x-apideck-auth-type: JWT`` and the token's
            application and consumer ids. The server limits such a client to that consumer's
            connections, its session's ``unified_apis`` and ``allow_actions``. A call naming
            another consumer raises ``ConfigurationError``; a call's ``security`` API key wins.
        timeout: seconds, or an ``httpx.Timeout``, for each attempt (default 30 s, 5 s to connect).
        max_retries: retries of a failed attempt (default 2): connection errors, timeouts, 408,
            409, 429 and 5xx, with exponential backoff and jitter, honouring ``Retry-After``.
        default_headers: headers sent with every call.
        http_client: an ``httpx`` client to send with (proxies, transports, event hooks). The
            SDK never closes a client it was given.
"""


class SDK:
    """The Vaultline client. Use it as a context manager, or call ``close()``, to free connections."""

    sessions: Sessions
    """Mint, list, inspect and revoke sessions; verify a session token offline."""
    consumers: Consumers
    """Create, list (filtered), get, update and delete consumers; count their calls."""
    connections: Connections
    """A consumer's connections: list, get, update, delete, validate; read credentials."""
    connection_consents: ConnectionConsents
    """A connection's consent records to the application's data scopes: list, update."""
    connection_oauth: ConnectionOAuth
    """Your backend's half of OAuth: confirm a nonce flow's connection, create a callback state."""
    connection_settings: ConnectionSettings
    """One resource's default values on a consumer's connection: get, update."""
    logs: Logs
    """A consumer's Vault API calls, newest first, filtered as Apideck's ``LogsFilter``."""
    links: VaultLinks
    """Vault links (Vaultline's own): URLs that open the Hosted Vault for a consumer, emailed if asked."""

    def __init__(
        self,
        *,
        server_url: str | None = None,
        api_key: str | None = None,
        app_id: str | None = None,
        session_token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._client = SyncAPIClient(
            config=resolve_config(server_url=server_url, api_key=api_key, app_id=app_id, session_token=session_token),
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
        )
        self.sessions = Sessions(self._client)
        self.consumers = Consumers(self._client)
        self.connections = Connections(self._client)
        self.connection_consents = ConnectionConsents(self._client)
        self.connection_oauth = ConnectionOAuth(self._client)
        self.connection_settings = ConnectionSettings(self._client)
        self.logs = Logs(self._client)
        self.links = VaultLinks(self._client)

    __init__.__doc__ = _SETTINGS_DOC

    def with_options(
        self,
        *,
        api_key: str | None = None,
        app_id: str | None = None,
        session_token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> SDK:
        """A client with some settings changed, sharing this one's connections:
        ``sdk.with_options(max_retries=5).sessions.get(...)``, or
        ``sdk.with_options(session_token=token)`` to call as that token's consumer."""
        base = self._client
        return SDK(
            server_url=base.config.server_url,
            api_key=api_key or base.config.api_key,
            app_id=app_id or base.config.app_id,
            session_token=session_token or (base.config.session.token if base.config.session else None),
            timeout=timeout if timeout is not None else base.timeout,
            max_retries=max_retries if max_retries is not None else base.max_retries,
            default_headers=base.default_headers,
            http_client=base.http,
        )

    @property
    def server_url(self) -> str:
        return self._client.config.server_url

    def close(self) -> None:
        """Close the connections (unless the ``http_client`` was given to the SDK)."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SDK(server_url={self.server_url!r}, app_id={self._client.config.app_id!r})"


class AsyncSDK:
    """The Vaultline client for asyncio: the same methods as ``SDK``, awaited.
    Use ``async with``, or ``await close()``, to free connections."""

    sessions: AsyncSessions
    """Mint, list, inspect and revoke sessions; verify a session token offline."""
    consumers: AsyncConsumers
    """Create, list (filtered), get, update and delete consumers; count their calls."""
    connections: AsyncConnections
    """A consumer's connections: list, get, update, delete, validate; read credentials."""
    connection_consents: AsyncConnectionConsents
    """A connection's consent records to the application's data scopes: list, update."""
    connection_oauth: AsyncConnectionOAuth
    """Your backend's half of OAuth: confirm a nonce flow's connection, create a callback state."""
    connection_settings: AsyncConnectionSettings
    """One resource's default values on a consumer's connection: get, update."""
    logs: AsyncLogs
    """A consumer's Vault API calls, newest first, filtered as Apideck's ``LogsFilter``."""
    links: AsyncVaultLinks
    """Vault links (Vaultline's own): URLs that open the Hosted Vault for a consumer, emailed if asked."""

    def __init__(
        self,
        *,
        server_url: str | None = None,
        api_key: str | None = None,
        app_id: str | None = None,
        session_token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._client = AsyncAPIClient(
            config=resolve_config(server_url=server_url, api_key=api_key, app_id=app_id, session_token=session_token),
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
        )
        self.sessions = AsyncSessions(self._client)
        self.consumers = AsyncConsumers(self._client)
        self.connections = AsyncConnections(self._client)
        self.connection_consents = AsyncConnectionConsents(self._client)
        self.connection_oauth = AsyncConnectionOAuth(self._client)
        self.connection_settings = AsyncConnectionSettings(self._client)
        self.logs = AsyncLogs(self._client)
        self.links = AsyncVaultLinks(self._client)

    __init__.__doc__ = _SETTINGS_DOC

    def with_options(
        self,
        *,
        api_key: str | None = None,
        app_id: str | None = None,
        session_token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncSDK:
        """A client with some settings changed, sharing this one's connections (see ``SDK.with_options``)."""
        base = self._client
        return AsyncSDK(
            server_url=base.config.server_url,
            api_key=api_key or base.config.api_key,
            app_id=app_id or base.config.app_id,
            session_token=session_token or (base.config.session.token if base.config.session else None),
            timeout=timeout if timeout is not None else base.timeout,
            max_retries=max_retries if max_retries is not None else base.max_retries,
            default_headers=base.default_headers,
            http_client=base.http,
        )

    @property
    def server_url(self) -> str:
        return self._client.config.server_url

    async def close(self) -> None:
        """Close the connections (unless the ``http_client`` was given to the SDK)."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncSDK(server_url={self.server_url!r}, app_id={self._client.config.app_id!r})"
