"""``sdk.logs``: a consumer's Vault API calls, newest first, filtered as Apideck's ``LogsFilter``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk._pagination import AsyncPage, SyncPage
from vaultline_sdk.models.shared import GetLogsResponse, Log, LogsFilter

_PATH = "/vault/logs"


def _filter_params(wanted: LogsFilter | Mapping[str, Any] | None) -> dict[str, str | int]:
    """``filter[key]=value`` (deepObject); a list is sent comma-separated, as the server accepts."""
    values = wanted.to_wire() if isinstance(wanted, LogsFilter) else dict(wanted or {})
    params: dict[str, str | int] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set):
            value = ",".join(str(v) for v in value)
        params[f"filter[{key}]"] = value if isinstance(value, str | int) else str(value)
    return params


def _list_call(
    client: BaseClient,
    consumer_id: str,
    wanted: LogsFilter | Mapping[str, Any] | None,
    cursor: str | None,
    limit: int | None,
    options: RequestOptions,
) -> APIRequest:
    params = _filter_params(wanted)
    if cursor:
        params["cursor"] = cursor
    if limit is not None:
        params["limit"] = limit
    headers = client.headers_for(consumer_id=consumer_id)
    return APIRequest.build("GET", _PATH, headers=headers, options=options, params=params)


class Logs:
    """Logs: the Vault API calls made for one consumer."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def list(
        self,
        consumer_id: str,
        *,
        filter: LogsFilter | Mapping[str, Any] | None = None,  # noqa: A002 - the API's own name
        cursor: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> SyncPage[Log]:
        """The consumer's logs, newest first, optionally filtered (``LogsFilter`` or a dict of its keys).

        Iterating the returned page fetches the following pages as needed.
        """
        response = self._client.send(_list_call(self._client, consumer_id, filter, cursor, limit, options))
        page = self._client.parse(response, GetLogsResponse)
        return SyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(consumer_id, filter=filter, cursor=next_cursor, limit=limit, **options),
        )


class AsyncLogs:
    """Logs: the Vault API calls made for one consumer."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(
        self,
        consumer_id: str,
        *,
        filter: LogsFilter | Mapping[str, Any] | None = None,  # noqa: A002 - the API's own name
        cursor: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPage[Log]:
        """The consumer's logs, newest first. ``async for`` over the page fetches the following pages."""
        response = await self._client.send(_list_call(self._client, consumer_id, filter, cursor, limit, options))
        page = self._client.parse(response, GetLogsResponse)
        return AsyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(consumer_id, filter=filter, cursor=next_cursor, limit=limit, **options),
        )
