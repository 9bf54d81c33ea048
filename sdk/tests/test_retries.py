"""Retries, proven with faults injected in front of the real server: connection errors,
timeouts, 408/409/429/5xx retried with backoff, ``Retry-After`` honoured, one idempotency key
per logical call."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from faults import FaultyTransport, refused, status, timeout

from conftest import Tenant
from vaultline_sdk import (
    SDK,
    APIConnectionError,
    APITimeoutError,
    AsyncSDK,
    BadRequestError,
    InternalServerError,
    RateLimitError,
)
from vaultline_sdk._retries import parse_retry_after, retry_delay

FaultySDK = Callable[..., SDK]


@pytest.fixture
def faulty_sdk() -> Iterator[FaultySDK]:
    """Builds an ``SDK`` sending through a ``FaultyTransport``; closes its connections afterwards."""
    clients: list[httpx.Client] = []

    def build(tenant: Tenant, transport: FaultyTransport, **settings: object) -> SDK:
        clients.append(httpx.Client(transport=transport))
        return SDK(
            server_url=tenant.server_url,
            api_key=tenant.api_key,
            app_id=tenant.application_id,
            http_client=clients[-1],
            **settings,  # type: ignore[arg-type]
        )

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The pauses the clients take, recorded instead of slept (the tests stay fast)."""
    recorded: list[float] = []

    async def async_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(
        "vaultline_sdk._base_client.SyncAPIClient._sleep", lambda _self, seconds: recorded.append(seconds)
    )
    monkeypatch.setattr("vaultline_sdk._base_client.AsyncAPIClient._sleep", lambda _self, seconds: async_sleep(seconds))
    yield recorded


@pytest.mark.slow
def test_503_then_200_returns_the_real_answer_with_one_idempotency_key(
    live_tenant: Tenant, faulty_sdk: FaultySDK, sleeps: list[float]
) -> None:
    transport = FaultyTransport(httpx.HTTPTransport(), status(503, {"Retry-After": "1"}))
    created = faulty_sdk(live_tenant, transport).sessions.create("retry-consumer")
    assert created.session_uri.startswith(f"{live_tenant.server_url}/session/")
    assert sleeps == [1.0]
    first, second = transport.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["Idempotency-Key"].startswith("vaultline-sdk-")


@pytest.mark.slow
@pytest.mark.usefixtures("sleeps")
def test_every_logical_call_gets_its_own_idempotency_key(live_tenant: Tenant, faulty_sdk: FaultySDK) -> None:
    transport = FaultyTransport(httpx.HTTPTransport())
    sdk = faulty_sdk(live_tenant, transport)
    sdk.sessions.create("a")
    sdk.sessions.create("b", idempotency_key="my-own-key")
    sdk.consumers.list()
    keys = [request.headers.get("Idempotency-Key") for request in transport.requests]
    assert keys[0] and keys[0] != "my-own-key" and keys[1:] == ["my-own-key", None]


@pytest.mark.slow
def test_429_honours_retry_after(live_tenant: Tenant, faulty_sdk: FaultySDK, sleeps: list[float]) -> None:
    transport = FaultyTransport(httpx.HTTPTransport(), status(429, {"Retry-After": "3"}), status(429))
    consumers = faulty_sdk(live_tenant, transport).consumers.list()
    assert consumers.data == [] or consumers.data
    assert sleeps[0] == 3.0
    assert 0.5 <= sleeps[1] <= 1.0  # the second 429 gave no Retry-After: backoff with jitter


@pytest.mark.slow
@pytest.mark.parametrize("code", [408, 409, 500, 502, 503, 504])
def test_transient_statuses_are_retried(
    live_tenant: Tenant, faulty_sdk: FaultySDK, sleeps: list[float], code: int
) -> None:
    transport = FaultyTransport(httpx.HTTPTransport(), status(code))
    faulty_sdk(live_tenant, transport).consumers.list()
    assert len(transport.requests) == 2 and len(sleeps) == 1


@pytest.mark.slow
def test_connection_errors_and_timeouts_are_retried(
    live_tenant: Tenant, faulty_sdk: FaultySDK, sleeps: list[float]
) -> None:
    transport = FaultyTransport(httpx.HTTPTransport(), refused, timeout)
    page = faulty_sdk(live_tenant, transport).consumers.list()
    assert isinstance(page.data, list)
    assert len(transport.requests) == 3
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0


@pytest.mark.slow
def test_timeouts_past_the_retry_budget_raise_a_timeout_error(
    live_tenant: Tenant, faulty_sdk: FaultySDK, sleeps: list[float]
) -> None:
    transport = FaultyTransport(httpx.HTTPTransport(), timeout, timeout, timeout)
    with pytest.raises(APITimeoutError) as caught:
        faulty_sdk(live_tenant, transport).consumers.list()
    assert isinstance(caught.value, APIConnectionError)
    assert "timed out" in str(caught.value)
    assert len(transport.requests) == 3 and len(sleeps) == 2


@pytest.mark.slow
@pytest.mark.usefixtures("sleeps")
def test_retry_settings_per_client_and_per_call(live_tenant: Tenant, faulty_sdk: FaultySDK) -> None:
    transport = FaultyTransport(httpx.HTTPTransport(), *[status(503)] * 10)
    sdk = faulty_sdk(live_tenant, transport, max_retries=4)
    with pytest.raises(InternalServerError):
        sdk.consumers.list()
    assert len(transport.requests) == 5
    with pytest.raises(InternalServerError):
        sdk.consumers.list(max_retries=0)
    assert len(transport.requests) == 6
    with pytest.raises(InternalServerError):
        sdk.with_options(max_retries=1).consumers.list()
    assert len(transport.requests) == 8


@pytest.mark.slow
def test_timeouts_per_client_and_per_call(live_tenant: Tenant, faulty_sdk: FaultySDK) -> None:
    transport = FaultyTransport(httpx.HTTPTransport())
    sdk = faulty_sdk(live_tenant, transport, timeout=7.0)
    sdk.consumers.list()
    sdk.consumers.list(timeout=httpx.Timeout(1.5))
    sdk.consumers.list(timeout=0.25)
    seen = [request.extensions["timeout"]["read"] for request in transport.requests]
    assert seen == [7.0, 1.5, 0.25]


@pytest.mark.slow
def test_client_errors_are_not_retried(live_tenant: Tenant, faulty_sdk: FaultySDK, sleeps: list[float]) -> None:
    transport = FaultyTransport(httpx.HTTPTransport(), status(400))
    with pytest.raises(BadRequestError):
        faulty_sdk(live_tenant, transport).consumers.list()
    assert len(transport.requests) == 1 and sleeps == []


async def test_async_client_retries_the_same_way(server_app: FastAPI, asgi_tenant: Tenant, sleeps: list[float]) -> None:
    transport = FaultyTransport(
        httpx.ASGITransport(app=server_app), timeout, status(503), status(429, {"retry-after-ms": "250"})
    )
    async with httpx.AsyncClient(transport=transport) as http:
        sdk = AsyncSDK(
            server_url=asgi_tenant.server_url,
            api_key=asgi_tenant.api_key,
            app_id=asgi_tenant.application_id,
            http_client=http,
            max_retries=3,
        )
        created = await sdk.sessions.create("async-retry")
    assert created.session_uri.startswith(f"{asgi_tenant.server_url}/session/")
    assert len(transport.requests) == 4
    assert len({request.headers["Idempotency-Key"] for request in transport.requests}) == 1
    assert sleeps[2] == 0.25


async def test_async_rate_limit_error_after_the_budget(
    server_app: FastAPI, asgi_tenant: Tenant, sleeps: list[float]
) -> None:
    transport = FaultyTransport(httpx.ASGITransport(app=server_app), *[status(429)] * 3)
    async with httpx.AsyncClient(transport=transport) as http:
        sdk = AsyncSDK(
            server_url=asgi_tenant.server_url,
            api_key=asgi_tenant.api_key,
            app_id=asgi_tenant.application_id,
            http_client=http,
        )
        with pytest.raises(RateLimitError) as caught:
            await sdk.consumers.list()
    assert caught.value.status_code == 429 and len(sleeps) == 2


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for retries_taken, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = [retry_delay(retries_taken) for _ in range(200)]
        assert all(0.75 * ceiling <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "Sun, 22 Nov 2026 12:00:10 GMT"}, 10.0),
        ({"retry-after": "3600"}, None),  # longer than we will wait: fall back to backoff
        ({"retry-after": "-1"}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    now = 1_795_348_800.0  # 2026-11-22T12:00:00Z
    assert parse_retry_after(httpx.Headers(headers), now=now) == expected
