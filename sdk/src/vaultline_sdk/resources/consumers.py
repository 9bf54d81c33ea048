"""``sdk.consumers``: Apideck's consumer endpoints (create, list, get, update, delete)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Unpack
from urllib.parse import quote

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk._pagination import AsyncPage, SyncPage
from vaultline_sdk.models.shared import (
    Consumer,
    ConsumerMetadata,
    ConsumerRequestCounts,
    ConsumerRequestCountsInDateRangeResponse,
    DeleteConsumerResponse,
    DeletedConsumer,
    GetConsumerResponse,
    GetConsumersResponse,
)

_PATH = "/vault/consumers"


def _path(consumer_id: str) -> str:
    # Consumer ids are the SaaS's own and may hold spaces or '@': they must not change the path.
    return f"{_PATH}/{quote(consumer_id, safe='')}"


def _metadata_body(metadata: ConsumerMetadata | None) -> dict[str, object]:
    return {"metadata": metadata.to_wire()} if metadata is not None else {}


def _create_call(
    client: BaseClient, consumer_id: str, metadata: ConsumerMetadata | None, options: RequestOptions
) -> APIRequest:
    body = {"consumer_id": consumer_id, **_metadata_body(metadata)}
    return APIRequest.build("POST", _PATH, headers=client.headers_for(), options=options, json_body=body)


def _list_call(
    client: BaseClient,
    cursor: str | None,
    limit: int | None,
    consumer_id_prefix: str | None,
    search: str | None,
    options: RequestOptions,
) -> APIRequest:
    params: dict[str, str | int] = {}
    if cursor:
        params["cursor"] = cursor
    if limit is not None:
        params["limit"] = limit
    if consumer_id_prefix is not None:
        params["filter[consumer_id]"] = consumer_id_prefix
    if search is not None:
        params["filter[search]"] = search
    return APIRequest.build("GET", _PATH, headers=client.headers_for(), options=options, params=params)


def _moment(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the server reads a zoneless date-time as UTC too
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request_counts_call(
    client: BaseClient, consumer_id: str, start: datetime | str, end: datetime | str, options: RequestOptions
) -> APIRequest:
    params: dict[str, str | int] = {"start_datetime": _moment(start), "end_datetime": _moment(end)}
    path = _path(consumer_id) + "/stats"
    return APIRequest.build("GET", path, headers=client.headers_for(), options=options, params=params)


def _one_call(
    client: BaseClient, method: str, consumer_id: str, options: RequestOptions, body: object = None
) -> APIRequest:
    return APIRequest.build(method, _path(consumer_id), headers=client.headers_for(), options=options, json_body=body)


class Consumers:
    """Consumers: your customers, named by your own ids. Minting a session creates one as needed."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def create(
        self, consumer_id: str, *, metadata: ConsumerMetadata | None = None, **options: Unpack[RequestOptions]
    ) -> Consumer:
        """Create a consumer. Raises ``ConflictError`` (409) when it exists already."""
        response = self._client.send(_create_call(self._client, consumer_id, metadata, options))
        return self._client.parse(response, GetConsumerResponse).data

    def list(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        consumer_id_prefix: str | None = None,
        search: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> SyncPage[Consumer]:
        """The application's consumers. Iterating the returned page fetches the following pages.

        Args:
            consumer_id_prefix: only consumers whose id starts with this (``filter[consumer_id]``).
            search: only consumers whose id, email, account name or user name contains this, in
                any case (``filter[search]``).
        """
        response = self._client.send(_list_call(self._client, cursor, limit, consumer_id_prefix, search, options))
        page = self._client.parse(response, GetConsumersResponse)
        return SyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(
                cursor=next_cursor, limit=limit, consumer_id_prefix=consumer_id_prefix, search=search, **options
            ),
        )

    def get(self, consumer_id: str, **options: Unpack[RequestOptions]) -> Consumer:
        """One consumer. Raises ``NotFoundError`` (404) when there is none by that id."""
        response = self._client.send(_one_call(self._client, "GET", consumer_id, options))
        return self._client.parse(response, GetConsumerResponse).data

    def update(self, consumer_id: str, *, metadata: ConsumerMetadata, **options: Unpack[RequestOptions]) -> Consumer:
        """Replace the consumer's metadata."""
        call = _one_call(self._client, "PATCH", consumer_id, options, _metadata_body(metadata))
        return self._client.parse(self._client.send(call), GetConsumerResponse).data

    def delete(self, consumer_id: str, **options: Unpack[RequestOptions]) -> DeletedConsumer:
        """Delete the consumer; every session it holds is revoked at once."""
        response = self._client.send(_one_call(self._client, "DELETE", consumer_id, options))
        return self._client.parse(response, DeleteConsumerResponse).data

    def request_counts(
        self, consumer_id: str, start: datetime | str, end: datetime | str, **options: Unpack[RequestOptions]
    ) -> ConsumerRequestCounts:
        """How many calls were made for the consumer from ``start`` to ``end`` (both included;
        a ``datetime`` without a zone is UTC). ``NotFoundError`` (404) for an unknown consumer."""
        response = self._client.send(_request_counts_call(self._client, consumer_id, start, end, options))
        return self._client.parse(response, ConsumerRequestCountsInDateRangeResponse).data


class AsyncConsumers:
    """Consumers: your customers, named by your own ids. Minting a session creates one as needed."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def create(
        self, consumer_id: str, *, metadata: ConsumerMetadata | None = None, **options: Unpack[RequestOptions]
    ) -> Consumer:
        """Create a consumer. Raises ``ConflictError`` (409) when it exists already."""
        response = await self._client.send(_create_call(self._client, consumer_id, metadata, options))
        return self._client.parse(response, GetConsumerResponse).data

    async def list(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        consumer_id_prefix: str | None = None,
        search: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPage[Consumer]:
        """The application's consumers. ``async for`` over the page fetches the following pages."""
        response = await self._client.send(_list_call(self._client, cursor, limit, consumer_id_prefix, search, options))
        page = self._client.parse(response, GetConsumersResponse)
        return AsyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(
                cursor=next_cursor, limit=limit, consumer_id_prefix=consumer_id_prefix, search=search, **options
            ),
        )

    async def get(self, consumer_id: str, **options: Unpack[RequestOptions]) -> Consumer:
        """One consumer. Raises ``NotFoundError`` (404) when there is none by that id."""
        response = await self._client.send(_one_call(self._client, "GET", consumer_id, options))
        return self._client.parse(response, GetConsumerResponse).data

    async def update(
        self, consumer_id: str, *, metadata: ConsumerMetadata, **options: Unpack[RequestOptions]
    ) -> Consumer:
        """Replace the consumer's metadata."""
        call = _one_call(self._client, "PATCH", consumer_id, options, _metadata_body(metadata))
        return self._client.parse(await self._client.send(call), GetConsumerResponse).data

    async def delete(self, consumer_id: str, **options: Unpack[RequestOptions]) -> DeletedConsumer:
        """Delete the consumer; every session it holds is revoked at once."""
        response = await self._client.send(_one_call(self._client, "DELETE", consumer_id, options))
        return self._client.parse(response, DeleteConsumerResponse).data

    async def request_counts(
        self, consumer_id: str, start: datetime | str, end: datetime | str, **options: Unpack[RequestOptions]
    ) -> ConsumerRequestCounts:
        """How many calls were made for the consumer from ``start`` to ``end``. See ``Consumers.request_counts``."""
        response = await self._client.send(_request_counts_call(self._client, consumer_id, start, end, options))
        return self._client.parse(response, ConsumerRequestCountsInDateRangeResponse).data
