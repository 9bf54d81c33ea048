"""``sdk.connections.add`` / ``imports`` / ``token``: Apideck's ``connectionsAdd``,
``connectionsImport`` and ``connectionsToken``. Mixed into ``Connections`` and
``AsyncConnections``; the request building is shared, the two halves only send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack
from urllib.parse import quote

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk.models.shared import Connection, ConnectionConfiguration, GetConnectionResponse

_PATH = "/vault/connections"


def _action_call(
    client: BaseClient,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    suffix: str,
    body: object,
    options: RequestOptions,
) -> APIRequest:
    path = f"{_PATH}/{quote(str(unified_api), safe='')}/{quote(str(service_id), safe='')}{suffix}"
    headers = client.headers_for(consumer_id=consumer_id)
    return APIRequest.build("POST", path, headers=headers, options=options, json_body=body)


def _add_body(
    enabled: bool | None,
    settings: Mapping[str, Any] | None,
    configuration: Sequence[ConnectionConfiguration | Mapping[str, Any]] | None,
    metadata: Mapping[str, Any] | None,
) -> dict[str, Any]:
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


def _import_body(
    credentials: Mapping[str, Any] | None, settings: Mapping[str, Any] | None, metadata: Mapping[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if credentials is not None:
        body["credentials"] = dict(credentials)
    if settings is not None:
        body["settings"] = dict(settings)
    if metadata is not None:
        body["metadata"] = dict(metadata)
    return body


class ConnectionActions:
    _client: SyncAPIClient

    def add(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        enabled: bool | None = None,
        settings: Mapping[str, Any] | None = None,
        configuration: Sequence[ConnectionConfiguration | Mapping[str, Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Create the consumer's connection (``connectionsAdd``). ``UnprocessableEntityError``
        (422) when the consumer already has it: change it with ``update``."""
        body = _add_body(enabled, settings, configuration, metadata)
        call = _action_call(self._client, consumer_id, unified_api, service_id, "", body, options)
        return self._client.parse(self._client.send(call), GetConnectionResponse).data

    def imports(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        credentials: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Import a connection from another system (``connectionsImport``, API key only).

        Args:
            credentials: OAuth tokens: ``{"access_token", "refresh_token", "issued_at", "expires_in"}``.
                Without ``issued_at`` and ``expires_in`` the token is refreshed on the next credentials read.
            settings: the connection's settings (API keys and other form values).
            metadata: your own data about the connection.
        """
        body = _import_body(credentials, settings, metadata)
        call = _action_call(self._client, consumer_id, unified_api, service_id, "/import", body, options)
        return self._client.parse(self._client.send(call), GetConnectionResponse).data

    def token(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> Connection:
        """Trade the stored client-credentials or password-grant credentials for an access token
        (``connectionsToken``); the token is stored, not returned (read it with ``credentials``)."""
        call = _action_call(self._client, consumer_id, unified_api, service_id, "/token", {}, options)
        return self._client.parse(self._client.send(call), GetConnectionResponse).data


class AsyncConnectionActions:
    _client: AsyncAPIClient

    async def add(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        enabled: bool | None = None,
        settings: Mapping[str, Any] | None = None,
        configuration: Sequence[ConnectionConfiguration | Mapping[str, Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Create the consumer's connection. See ``Connections.add``."""
        body = _add_body(enabled, settings, configuration, metadata)
        call = _action_call(self._client, consumer_id, unified_api, service_id, "", body, options)
        return self._client.parse(await self._client.send(call), GetConnectionResponse).data

    async def imports(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        credentials: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Import a connection from another system (API key only). See ``Connections.imports``."""
        body = _import_body(credentials, settings, metadata)
        call = _action_call(self._client, consumer_id, unified_api, service_id, "/import", body, options)
        return self._client.parse(await self._client.send(call), GetConnectionResponse).data

    async def token(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> Connection:
        """Trade the stored credentials for an access token. See ``Connections.token``."""
        call = _action_call(self._client, consumer_id, unified_api, service_id, "/token", {}, options)
        return self._client.parse(await self._client.send(call), GetConnectionResponse).data
