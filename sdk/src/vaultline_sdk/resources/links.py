"""``sdk.links``: Vault links (create, list, get, revoke): URLs that open the Hosted Vault for one
consumer with a fresh session each time, optionally emailed by the server."""

from __future__ import annotations

from typing import Unpack
from urllib.parse import quote

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk._pagination import AsyncPage, SyncPage
from vaultline_sdk.models.shared.links import (
    CreatedLink,
    CreateLinkResponse,
    GetLinkResponse,
    GetLinksResponse,
    LinkDetails,
    VaultLinkRequest,
)

_PATH = "/vault/links"


def _create_call(
    client: BaseClient, consumer_id: str, link: VaultLinkRequest | None, options: RequestOptions
) -> APIRequest:
    headers = client.headers_for(consumer_id=consumer_id)
    body = link.to_wire() if link is not None else None
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


def _one_call(client: BaseClient, method: str, link_id: str, options: RequestOptions) -> APIRequest:
    return APIRequest.build(method, f"{_PATH}/{quote(link_id, safe='')}", headers=client.headers_for(), options=options)


class VaultLinks:
    """Vault links: URLs that open the Hosted Vault for a consumer, for up to 7 days."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def create(
        self, consumer_id: str, link: VaultLinkRequest | None = None, **options: Unpack[RequestOptions]
    ) -> CreatedLink:
        """Create a link for ``consumer_id``; returns its ``id``, ``url`` and ``expires_at``.

        The ``url`` is shown only here (the server stores its hash). With ``link.send_to`` the
        server emails it. Raises ``UnprocessableEntityError`` when the server cannot send email.
        """
        response = self._client.send(_create_call(self._client, consumer_id, link, options))
        return self._client.parse(response, CreateLinkResponse).data

    def list(
        self,
        consumer_id: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> SyncPage[LinkDetails]:
        """The consumer's links, newest first. Iterating the page fetches the following pages."""
        response = self._client.send(_list_call(self._client, consumer_id, cursor, limit, options))
        page = self._client.parse(response, GetLinksResponse)
        return SyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(consumer_id, cursor=next_cursor, limit=limit, **options),
        )

    def get(self, link_id: str, **options: Unpack[RequestOptions]) -> LinkDetails:
        """One link's state, openings and (when emailed) its email's delivery."""
        response = self._client.send(_one_call(self._client, "GET", link_id, options))
        return self._client.parse(response, GetLinkResponse).data

    def revoke(self, link_id: str, **options: Unpack[RequestOptions]) -> LinkDetails:
        """Revoke a link: it stops opening the vault at once. Revoking twice is harmless."""
        response = self._client.send(_one_call(self._client, "DELETE", link_id, options))
        return self._client.parse(response, GetLinkResponse).data


class AsyncVaultLinks:
    """Vault links: URLs that open the Hosted Vault for a consumer, for up to 7 days."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def create(
        self, consumer_id: str, link: VaultLinkRequest | None = None, **options: Unpack[RequestOptions]
    ) -> CreatedLink:
        """Create a link for ``consumer_id``; see ``VaultLinks.create``."""
        response = await self._client.send(_create_call(self._client, consumer_id, link, options))
        return self._client.parse(response, CreateLinkResponse).data

    async def list(
        self,
        consumer_id: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPage[LinkDetails]:
        """The consumer's links, newest first. ``async for`` over the page fetches the following pages."""
        response = await self._client.send(_list_call(self._client, consumer_id, cursor, limit, options))
        page = self._client.parse(response, GetLinksResponse)
        return AsyncPage(
            data=page.data,
            next_cursor=page.meta.cursors.next,
            fetch=lambda next_cursor: self.list(consumer_id, cursor=next_cursor, limit=limit, **options),
        )

    async def get(self, link_id: str, **options: Unpack[RequestOptions]) -> LinkDetails:
        """One link's state, openings and (when emailed) its email's delivery."""
        response = await self._client.send(_one_call(self._client, "GET", link_id, options))
        return self._client.parse(response, GetLinkResponse).data

    async def revoke(self, link_id: str, **options: Unpack[RequestOptions]) -> LinkDetails:
        """Revoke a link: it stops opening the vault at once. Revoking twice is harmless."""
        response = await self._client.send(_one_call(self._client, "DELETE", link_id, options))
        return self._client.parse(response, GetLinkResponse).data
