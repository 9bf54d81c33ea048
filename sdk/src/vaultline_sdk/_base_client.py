"""The logic both clients share — building requests, headers, retry decisions, parsing and error
mapping — in ``BaseClient``; ``SyncAPIClient`` and ``AsyncAPIClient`` only send and sleep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from vaultline_sdk._config import ClientConfig
from vaultline_sdk._constants import (
    APP_ID_HEADER,
    CONSUMER_ID_HEADER,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    IDEMPOTENCY_KEY_HEADER,
    JWKS_PATH,
)
from vaultline_sdk._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    make_status_error,
)
from vaultline_sdk._options import APIRequest
from vaultline_sdk._retries import is_retryable_status, retry_delay
from vaultline_sdk._version import __version__
from vaultline_sdk.session_tokens import JWKSCache

ModelT = TypeVar("ModelT", bound=BaseModel)

# Failures after which the server may never have seen the request, or lost its answer: worth
# another try (writes carry an idempotency key). Anything else (a malformed URL…) will not heal.
_TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class BaseClient:
    """Configuration and pure request/response logic; no I/O."""

    def __init__(
        self,
        *,
        config: ClientConfig,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        jwks_cache: JWKSCache | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.config = config
        self.timeout: httpx.Timeout | None = (
            timeout if timeout is None or isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        )
        self.max_retries = max_retries
        self.default_headers = dict(default_headers or {})
        self.jwks_cache = jwks_cache or JWKSCache()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(server_url={self.config.server_url!r}, app_id={self.config.app_id!r})"

    def headers_for(
        self, *, api_key: str | None = None, app_id: str | None = None, consumer_id: str | None = None
    ) -> dict[str, str]:
        """The authenticated headers of an API call; raises ``ConfigurationError`` naming what is missing.

        A client built with a session token calls as that token's consumer (what a browser does),
        unless the call itself names an API key.
        """
        if self.config.session is not None and api_key is None:
            return self.config.session.headers(app_id=app_id, consumer_id=consumer_id)
        headers = {
            "Authorization": f"Bearer {self.config.require_api_key(api_key)}",
            APP_ID_HEADER: self.config.require_app_id(app_id),
        }
        if consumer_id is not None:
            headers[CONSUMER_ID_HEADER] = consumer_id
        return headers

    def jwks_request(self) -> APIRequest:
        return APIRequest(method="GET", path=JWKS_PATH)

    def build_request(self, http: httpx.Client | httpx.AsyncClient, call: APIRequest) -> httpx.Request:
        headers = {
            "Accept": "application/json",
            "User-Agent": f"vaultline-sdk-python/{__version__}",
            **self.default_headers,
            **call.headers,
        }
        if call.idempotency_key is not None:
            headers[IDEMPOTENCY_KEY_HEADER] = call.idempotency_key
        timeout = call.timeout or self.timeout
        return http.build_request(
            call.method,
            self.config.server_url + call.path,
            headers=headers,
            params=call.params,
            json=call.json_body,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def retries_allowed(self, call: APIRequest) -> int:
        return self.max_retries if call.max_retries is None else call.max_retries

    def pause_before_retry(
        self, call: APIRequest, response: httpx.Response | None, *, retries_taken: int
    ) -> float | None:
        """Seconds to wait before trying again, or ``None`` to stop here. ``response`` is ``None``
        when the attempt failed without an answer (connection error or timeout)."""
        if retries_taken >= self.retries_allowed(call):
            return None
        if response is None:
            return retry_delay(retries_taken)
        if not is_retryable_status(response.status_code):
            return None
        return retry_delay(retries_taken, response.headers)

    @staticmethod
    def connection_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(request=request)
        return APIConnectionError(request=request, message=f"Could not reach {request.url.host}: {exc!r}")

    @staticmethod
    def parse(response: httpx.Response, model: type[ModelT]) -> ModelT:
        """The body as ``model``; an error status raises its ``APIStatusError`` subclass."""
        if response.is_error:
            raise make_status_error(response)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            reason = f"{exc.error_count()} field(s) do not match {model.__name__}: {exc.errors()[0]['msg']}"
            raise APIResponseValidationError(response=response, reason=reason) from exc

    @staticmethod
    def expect_no_content(response: httpx.Response) -> None:
        """A success without a body (204); an error status raises its ``APIStatusError`` subclass."""
        if response.is_error:
            raise make_status_error(response)

    @staticmethod
    def parse_json(response: httpx.Response) -> Any:
        if response.is_error:
            raise make_status_error(response)
        try:
            return response.json()
        except ValueError as exc:
            raise APIResponseValidationError(response=response, reason="not JSON") from exc


class SyncAPIClient(BaseClient):
    """Sends with an ``httpx.Client`` and sleeps with ``time.sleep``."""

    def __init__(self, *, http_client: httpx.Client | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self._owns_http = http_client is None
        self.http = http_client or httpx.Client(timeout=self.timeout or DEFAULT_TIMEOUT)

    def send(self, call: APIRequest) -> httpx.Response:
        """Send ``call``, retrying transient failures; returns the final answer, error or not."""
        retries_taken = 0
        while True:
            request = self.build_request(self.http, call)
            try:
                response = self.http.send(request)
            except _TRANSIENT_ERRORS as exc:
                pause = self.pause_before_retry(call, None, retries_taken=retries_taken)
                if pause is None:
                    raise self.connection_error(exc, request) from exc
            except httpx.TransportError as exc:
                raise self.connection_error(exc, request) from exc
            else:
                pause = self.pause_before_retry(call, response, retries_taken=retries_taken)
                if pause is None:
                    return response
                response.close()
            self._sleep(pause)
            retries_taken += 1

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()


class AsyncAPIClient(BaseClient):
    """Sends with an ``httpx.AsyncClient`` and sleeps with ``asyncio.sleep``."""

    def __init__(self, *, http_client: httpx.AsyncClient | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self._owns_http = http_client is None
        self.http = http_client or httpx.AsyncClient(timeout=self.timeout or DEFAULT_TIMEOUT)

    async def send(self, call: APIRequest) -> httpx.Response:
        """Send ``call``, retrying transient failures; returns the final answer, error or not."""
        retries_taken = 0
        while True:
            request = self.build_request(self.http, call)
            try:
                response = await self.http.send(request)
            except _TRANSIENT_ERRORS as exc:
                pause = self.pause_before_retry(call, None, retries_taken=retries_taken)
                if pause is None:
                    raise self.connection_error(exc, request) from exc
            except httpx.TransportError as exc:
                raise self.connection_error(exc, request) from exc
            else:
                pause = self.pause_before_retry(call, response, retries_taken=retries_taken)
                if pause is None:
                    return response
                await response.aclose()
            await self._sleep(pause)
            retries_taken += 1

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        if self._owns_http:
            await self.http.aclose()


__all__ = ["DEFAULT_MAX_RETRIES", "AsyncAPIClient", "BaseClient", "SyncAPIClient"]
