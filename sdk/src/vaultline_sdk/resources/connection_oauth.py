"""``sdk.connection_oauth``: your backend's half of an OAuth flow. ``confirm`` is the second
step of the CSRF-protected flow (Apideck's ``connectionsConfirm``); ``create_callback_state``
gives a ``state`` for an authorize URL your backend builds itself (``createCallbackState``)."""

from __future__ import annotations

from typing import Any, Unpack

from vaultline_sdk._base_client import AsyncAPIClient, BaseClient, SyncAPIClient
from vaultline_sdk._options import APIRequest, RequestOptions
from vaultline_sdk.models.shared.connection_oauth import (
    CallbackState,
    ConfirmConnectionResponse,
    CreateCallbackStateResponse,
)
from vaultline_sdk.resources.connections import _path


def _post(
    client: BaseClient,
    suffix: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    body: dict[str, Any],
    options: RequestOptions,
) -> APIRequest:
    headers = client.headers_for(consumer_id=consumer_id)
    return APIRequest.build(
        "POST", _path(unified_api, service_id, suffix), headers=headers, options=options, json_body=body
    )


def _state_body(redirect_uri: str | None) -> dict[str, Any]:
    return {"redirect_uri": redirect_uri} if redirect_uri is not None else {}


class ConnectionOAuth:
    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def confirm(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        confirm_token: str,
        **options: Unpack[RequestOptions],
    ) -> bool:
        """Confirm a connection authorized with a ``nonce``, with the ``confirm_token`` from the
        callback's ``#fragment`` (check the fragment's ``nonce`` is yours first). Single-use,
        30 minutes: ``BadRequestError`` for a wrong token, ``UnprocessableEntityError`` when
        nothing waits for confirmation or the token expired."""
        call = _post(
            self._client, "/confirm", consumer_id, unified_api, service_id, {"confirm_token": confirm_token}, options
        )
        return self._client.parse(self._client.send(call), ConfirmConnectionResponse).data.confirmed

    def create_callback_state(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        redirect_uri: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> CallbackState:
        """A single-use ``state`` (10 minutes) and its PKCE ``code_challenge`` for your own
        authorize URL, whose ``redirect_uri`` is the server's ``/vault/callback``. The consumer
        then goes to ``redirect_uri`` (an allowlisted origin; required). API key only."""
        body = _state_body(redirect_uri)
        call = _post(self._client, "/callback-state", consumer_id, unified_api, service_id, body, options)
        return self._client.parse(self._client.send(call), CreateCallbackStateResponse).data


class AsyncConnectionOAuth:
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def confirm(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        confirm_token: str,
        **options: Unpack[RequestOptions],
    ) -> bool:
        """Confirm a connection authorized with a ``nonce``. See ``ConnectionOAuth.confirm``."""
        call = _post(
            self._client, "/confirm", consumer_id, unified_api, service_id, {"confirm_token": confirm_token}, options
        )
        return self._client.parse(await self._client.send(call), ConfirmConnectionResponse).data.confirmed

    async def create_callback_state(
        self,
        consumer_id: str,
        unified_api: str,
        service_id: str,
        *,
        redirect_uri: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> CallbackState:
        """A callback state for your own authorize URL. See ``ConnectionOAuth.create_callback_state``."""
        body = _state_body(redirect_uri)
        call = _post(self._client, "/callback-state", consumer_id, unified_api, service_id, body, options)
        return self._client.parse(await self._client.send(call), CreateCallbackStateResponse).data
