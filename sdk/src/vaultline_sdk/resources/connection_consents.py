"""``sdk.connection_consents``: a consumer's consent records to the application's data scopes
(Apideck's ``connectionConsentsAll`` / ``connectionConsentUpdate``)."""

from __future__ import annotations

from typing import Unpack

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk.models.shared.consents import (
    ConsentRecord,
    ConsentResources,
    GetConsentRecordsResponse,
    UpdateConsentRequest,
    UpdateConsentResponse,
)
from vaultline_sdk.resources.connections import _path


def _call(
    client: BaseClient,
    method: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    options: RequestOptions,
    body: UpdateConsentRequest | None = None,
) -> APIRequest:
    headers = client.headers_for(consumer_id=consumer_id)
    path = _path(unified_api, service_id, "/consent")
    return APIRequest.build(
        method, path, headers=headers, options=options, json_body=body.to_wire() if body is not None else None
    )


class ConnectionConsents:
    """Consent records: an immutable trail, newest last. With a session token, the consumer's own."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def list(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> list[ConsentRecord]:
        """Every consent record of the connection. ``NotFoundError`` (404) without a connection."""
        call = _call(self._client, "GET", consumer_id, unified_api, service_id, options)
        return self._client.parse(self._client.send(call), GetConsentRecordsResponse).data

    def update(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        granted: bool,
        resources: ConsentResources,
        **options: Unpack[RequestOptions],
    ) -> ConsentRecord:
        """Record a decision. A grant must cover the application's data scopes
        (``UnprocessableEntityError`` names what is missing); ``granted=False`` withdraws consent."""
        body = UpdateConsentRequest(granted=granted, resources=resources)
        call = _call(self._client, "PATCH", consumer_id, unified_api, service_id, options, body)
        return self._client.parse(self._client.send(call), UpdateConsentResponse).data


class AsyncConnectionConsents:
    """Consent records, awaited. See ``ConnectionConsents``."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(
        self, consumer_id: str, unified_api: str, service_id: str, **options: Unpack[RequestOptions]
    ) -> list[ConsentRecord]:
        """Every consent record of the connection. See ``ConnectionConsents.list``."""
        call = _call(self._client, "GET", consumer_id, unified_api, service_id, options)
        return self._client.parse(await self._client.send(call), GetConsentRecordsResponse).data

    async def update(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        granted: bool,
        resources: ConsentResources,
        **options: Unpack[RequestOptions],
    ) -> ConsentRecord:
        """Record a decision. See ``ConnectionConsents.update``."""
        body = UpdateConsentRequest(granted=granted, resources=resources)
        call = _call(self._client, "PATCH", consumer_id, unified_api, service_id, options, body)
        return self._client.parse(await self._client.send(call), UpdateConsentResponse).data
