"""``sdk.connections``: Apideck's connection endpoints (list, get, update, delete, validate; add,
imports and token in connection_actions.py) and Vaultline's credentials read, for one consumer
at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack
from urllib.parse import quote

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk.models.shared import (
    Connection,
    ConnectionConfiguration,
    ConnectionCredentials,
    ConnectionValidation,
    GetConnectionCredentialsResponse,
    GetConnectionResponse,
    GetConnectionsResponse,
    UpdateConnectionResponse,
    ValidateConnectionStateResponse,
)
from vaultline_sdk.resources.connection_actions import AsyncConnectionActions, ConnectionActions

_PATH = "/vault/connections"

Configuration = Sequence[ConnectionConfiguration | Mapping[str, Any]]
"""``[{"resource": "leads", "defaults": [...]}, ...]``, or ``Connection.configuration`` sent back."""


def _path(unified_api: str, service_id: str, suffix: str = "") -> str:
    return f"{_PATH}/{quote(str(unified_api), safe='')}/{quote(str(service_id), safe='')}{suffix}"


def _list_call(
    client: BaseClient, consumer_id: str, api: str | None, configured: bool | None, options: RequestOptions
) -> APIRequest:
    params: dict[str, str | int] = {}
    if api is not None:
        params["api"] = str(api)
    if configured is not None:
        params["configured"] = "true" if configured else "false"
    headers = client.headers_for(consumer_id=consumer_id)
    return APIRequest.build("GET", _PATH, headers=headers, options=options, params=params)


def _one_call(
    client: BaseClient,
    method: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    options: RequestOptions,
    *,
    suffix: str = "",
    body: object = None,
) -> APIRequest:
    headers = client.headers_for(consumer_id=consumer_id)
    return APIRequest.build(
        method, _path(unified_api, service_id, suffix), headers=headers, options=options, json_body=body
    )


def _update_body(
    enabled: bool | None,
    settings: Mapping[str, Any] | None,
    configuration: Configuration | None,
    metadata: Mapping[str, Any] | None,
) -> dict[str, Any]:
    # Only what the caller set: the server merges settings and keeps everything not sent.
    body: dict[str, Any] = {}
    if enabled is not None:
        body["enabled"] = enabled
    if settings is not None:
        body["settings"] = dict(settings)
    if configuration is not None:
        body["configuration"] = [
            item.model_dump(mode="json", include={"resource", "defaults"})
            if isinstance(item, ConnectionConfiguration)
            else dict(item)
            for item in configuration
        ]
    if metadata is not None:
        body["metadata"] = dict(metadata)
    return body


class Connections(ConnectionActions):
    """Connections: a consumer's integrations. Sensitive settings are always answered as
    ``"********"``; only ``credentials`` (API key only) returns them in plaintext."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def list(
        self,
        consumer_id: str,
        *,
        api: str | None = None,
        configured: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Connection]:
        """Every integration the application offers, as ``consumer_id``'s connection (``state``
        ``available`` where the consumer has none).

        Args:
            consumer_id: the consumer (your id for your customer).
            api: only this unified API, e.g. ``"crm"``.
            configured: ``True`` only the consumer's connections, ``False`` only the available ones.
        """
        response = self._client.send(_list_call(self._client, consumer_id, api, configured, options))
        return self._client.parse(response, GetConnectionsResponse).data

    def get(self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]) -> Connection:
        """One connection. Raises ``NotFoundError`` (404) when the application does not offer it."""
        call = _one_call(self._client, "GET", consumer_id, unified_api, service_id, options)
        return self._client.parse(self._client.send(call), GetConnectionResponse).data

    def update(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        enabled: bool | None = None,
        settings: Mapping[str, Any] | None = None,
        configuration: Configuration | None = None,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Add (``enabled=True``), fill in, disable or re-enable a connection; only what you pass is sent.

        Args:
            enabled: add the connection, or switch it on or off (existing state and settings are kept).
            settings: merged into the stored ones; a key set to ``None`` or ``""`` is cleared, and
                ``"********"`` sent back for a sensitive one means "unchanged".
            configuration: per-resource defaults (for ``configurable_resources``).
            metadata: your own data about the connection (API key only).
        """
        body = _update_body(enabled, settings, configuration, metadata)
        call = _one_call(self._client, "PATCH", consumer_id, unified_api, service_id, options, body=body)
        return self._client.parse(self._client.send(call), UpdateConnectionResponse).data

    def delete(self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete the connection and everything stored with it; it becomes ``available`` again."""
        call = _one_call(self._client, "DELETE", consumer_id, unified_api, service_id, options)
        self._client.expect_no_content(self._client.send(call))

    def validate(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> ConnectionValidation:
        """Check the stored values (present and in the provider's format; no call to the provider).
        A failure makes the connection ``invalid`` until its settings change."""
        call = _one_call(
            self._client, "POST", consumer_id, unified_api, service_id, options, suffix="/validate", body={}
        )
        return self._client.parse(self._client.send(call), ValidateConnectionStateResponse).data

    def credentials(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> ConnectionCredentials:
        """The decrypted settings (and OAuth tokens) to call the provider for this consumer.

        Vaultline's own endpoint, for your backend: a session token gets ``PermissionDeniedError``
        (403). ``UnprocessableEntityError`` (422) when the connection is disabled or has no credentials.
        """
        call = _one_call(self._client, "GET", consumer_id, unified_api, service_id, options, suffix="/credentials")
        return self._client.parse(self._client.send(call), GetConnectionCredentialsResponse).data


class AsyncConnections(AsyncConnectionActions):
    """Connections: a consumer's integrations. Sensitive settings are always answered as
    ``"********"``; only ``credentials`` (API key only) returns them in plaintext."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(
        self,
        consumer_id: str,
        *,
        api: str | None = None,
        configured: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[Connection]:
        """Every integration the application offers, as ``consumer_id``'s connection. See ``Connections.list``."""
        response = await self._client.send(_list_call(self._client, consumer_id, api, configured, options))
        return self._client.parse(response, GetConnectionsResponse).data

    async def get(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> Connection:
        """One connection. Raises ``NotFoundError`` (404) when the application does not offer it."""
        call = _one_call(self._client, "GET", consumer_id, unified_api, service_id, options)
        return self._client.parse(await self._client.send(call), GetConnectionResponse).data

    async def update(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        enabled: bool | None = None,
        settings: Mapping[str, Any] | None = None,
        configuration: Configuration | None = None,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Add, fill in, disable or re-enable a connection; only what you pass is sent. See ``Connections.update``."""
        body = _update_body(enabled, settings, configuration, metadata)
        call = _one_call(self._client, "PATCH", consumer_id, unified_api, service_id, options, body=body)
        return self._client.parse(await self._client.send(call), UpdateConnectionResponse).data

    async def delete(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> None:
        """Delete the connection and everything stored with it; it becomes ``available`` again."""
        call = _one_call(self._client, "DELETE", consumer_id, unified_api, service_id, options)
        self._client.expect_no_content(await self._client.send(call))

    async def validate(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> ConnectionValidation:
        """Check the stored values offline; a failure makes the connection ``invalid``."""
        call = _one_call(
            self._client, "POST", consumer_id, unified_api, service_id, options, suffix="/validate", body={}
        )
        return self._client.parse(await self._client.send(call), ValidateConnectionStateResponse).data

    async def credentials(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> ConnectionCredentials:
        """The decrypted settings (and OAuth tokens) for your backend; a session token gets 403."""
        call = _one_call(self._client, "GET", consumer_id, unified_api, service_id, options, suffix="/credentials")
        return self._client.parse(await self._client.send(call), GetConnectionCredentialsResponse).data
