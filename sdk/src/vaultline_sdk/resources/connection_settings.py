"""``sdk.connection_settings``: one resource's default values on a consumer's connection
(Apideck's ``connectionSettingsAll`` / ``connectionSettingsUpdate``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack
from urllib.parse import quote

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk.models.shared import Connection, GetConnectionResponse, UpdateConnectionResponse


def _path(unified_api: str, service_id: str, resource: str) -> str:
    parts = (quote(str(part), safe="") for part in (unified_api, service_id, resource))
    return "/vault/connections/{}/{}/{}/config".format(*parts)


def _call(
    client: BaseClient,
    method: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    resource: str,
    options: RequestOptions,
    body: object = None,
) -> APIRequest:
    headers = client.headers_for(consumer_id=consumer_id)
    path = _path(unified_api, service_id, resource)
    return APIRequest.build(method, path, headers=headers, options=options, json_body=body)


def _update_body(resource: str, defaults: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"configuration": [{"resource": resource, "defaults": [dict(item) for item in defaults]}]}


class ConnectionSettings:
    """Resource settings: per configurable resource (``Connection.resource_settings_support``),
    the default values your backend applies when it creates that resource for the consumer."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def get(
        self, consumer_id: str, unified_api: str, service_id: str, resource: str, **options: Unpack[RequestOptions]
    ) -> Connection:
        """The connection, its ``configuration`` holding only ``resource`` (``owner_id`` listed even
        when unset). ``NotFoundError`` (404) when the integration has no settings for ``resource``."""
        call = _call(self._client, "GET", consumer_id, unified_api, service_id, resource, options)
        return self._client.parse(self._client.send(call), GetConnectionResponse).data

    def update(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        resource: str,
        *,
        defaults: Sequence[Mapping[str, Any]],
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Replace ``resource``'s defaults, e.g. ``[{"id": "owner_id", "value": "42"}]``; the other
        resources keep theirs. A session hiding resource settings gets ``PermissionDeniedError`` (403)."""
        body = _update_body(resource, defaults)
        call = _call(self._client, "PATCH", consumer_id, unified_api, service_id, resource, options, body)
        return self._client.parse(self._client.send(call), UpdateConnectionResponse).data


class AsyncConnectionSettings:
    """Resource settings: per configurable resource, the default values your backend applies."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def get(
        self, consumer_id: str, unified_api: str, service_id: str, resource: str, **options: Unpack[RequestOptions]
    ) -> Connection:
        """The connection, its ``configuration`` holding only ``resource``. See ``ConnectionSettings.get``."""
        call = _call(self._client, "GET", consumer_id, unified_api, service_id, resource, options)
        return self._client.parse(await self._client.send(call), GetConnectionResponse).data

    async def update(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        resource: str,
        *,
        defaults: Sequence[Mapping[str, Any]],
        **options: Unpack[RequestOptions],
    ) -> Connection:
        """Replace ``resource``'s defaults. See ``ConnectionSettings.update``."""
        body = _update_body(resource, defaults)
        call = _call(self._client, "PATCH", consumer_id, unified_api, service_id, resource, options, body)
        return self._client.parse(await self._client.send(call), UpdateConnectionResponse).data
