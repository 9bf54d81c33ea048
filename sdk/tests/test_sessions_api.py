"""``sdk.sessions`` against the real server: over a socket (sync and async) and in-process (async)."""

from __future__ import annotations

import pytest

from conftest import Tenant
from vaultline_sdk import (
    SDK,
    AsyncSDK,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    UnprocessableEntityError,
)
from vaultline_sdk.models import operations, shared


@pytest.mark.slow
def test_list_get_revoke_over_a_socket(sdk: SDK) -> None:
    consumer = "sessions-sync"
    minted = [sdk.sessions.create(consumer) for _ in range(3)]
    jtis = [sdk.sessions.verify_token(m.session_token).jti for m in minted]

    first_page = sdk.sessions.list(consumer, limit=2)
    assert len(first_page.data) == 2 and first_page.has_next_page()
    every_page = [s.id for s in sdk.sessions.list(consumer, limit=2)]
    assert sorted(every_page) == sorted(jtis)  # minted within one millisecond: order among them is arbitrary

    details = sdk.sessions.get(jtis[0])
    assert details.state == shared.SessionState.ACTIVE and details.consumer_id == consumer
    assert details.expires_at > details.created_at

    revoked = sdk.sessions.revoke(jtis[0])
    assert revoked.state == "revoked" and revoked.revoked_at is not None
    assert sdk.sessions.get(jtis[0]).state == "revoked"
    assert sdk.sessions.revoke(jtis[0]).state == "revoked"  # idempotent


@pytest.mark.slow
async def test_async_client_over_a_socket(live_async_sdk: AsyncSDK) -> None:
    created = await live_async_sdk.sessions.create("sessions-async")
    claims = await live_async_sdk.sessions.verify_token(created.session_token)
    page = await live_async_sdk.sessions.list("sessions-async")
    assert [s.id async for s in page] == [claims.jti]
    assert (await live_async_sdk.sessions.revoke(claims.jti)).state == "revoked"


async def test_in_process_mint_list_get_revoke(async_sdk: AsyncSDK) -> None:
    response = await async_sdk.sessions.sessions_create(
        operations.SessionsCreateRequest(
            x_apideck_consumer_id="in-process",
            session=shared.Session(settings=shared.SessionSettings(session_length="2h")),
        )
    )
    assert response.status_code == 200
    token = response.create_session_response.data.session_token
    claims = await async_sdk.sessions.verify_token(token)
    assert claims.exp - claims.iat == 7200 and claims.iss == "http://vault.test"
    details = await async_sdk.sessions.get(claims.jti)
    assert details.settings["session_length"] == "2h"
    pages = [page async for page in (await async_sdk.sessions.list("in-process", limit=1)).iter_pages()]
    assert [len(p.data) for p in pages] == [1]


async def test_empty_body_is_a_valid_request(async_sdk: AsyncSDK) -> None:
    response = await async_sdk.sessions.sessions_create(operations.SessionsCreateRequest(x_apideck_consumer_id="bare"))
    request = response.raw_response.request
    assert request.content == b"" and "content-type" not in request.headers
    assert request.headers["x-apideck-consumer-id"] == "bare"


async def test_error_statuses_raise_their_classes(async_sdk: AsyncSDK, asgi_tenant: Tenant) -> None:
    with pytest.raises(NotFoundError) as not_found:
        await async_sdk.sessions.get("no-such-session")
    assert not_found.value.status_code == 404 and not_found.value.body is not None

    too_long = shared.Session(settings=shared.SessionSettings(session_length="2w"))
    with pytest.raises(UnprocessableEntityError) as unprocessable:
        await async_sdk.sessions.create("c", too_long)
    assert "longer than the maximum" in str(unprocessable.value)

    with pytest.raises(BadRequestError):
        await async_sdk.sessions.create("c", shared.Session(settings=shared.SessionSettings(session_length="soon")))

    other_app = async_sdk.with_options(app_id="someone-else")
    with pytest.raises(AuthenticationError) as wrong_app:
        await other_app.sessions.create("c")
    assert wrong_app.value.status_code == 401 and "x-apideck-app-id" in str(wrong_app.value)
    assert asgi_tenant.application_id not in str(wrong_app.value)


async def test_security_per_call_overrides_the_client_key(async_sdk: AsyncSDK, asgi_tenant: Tenant) -> None:
    keyless = async_sdk.with_options(api_key="vl_live_wrong")
    with pytest.raises(AuthenticationError):
        await keyless.sessions.create("c")
    request = operations.SessionsCreateRequest(x_apideck_consumer_id="c")
    response = await keyless.sessions.sessions_create(
        request, operations.SessionsCreateSecurity(api_key=asgi_tenant.api_key)
    )
    assert response.raw_response.request.headers["authorization"] == f"Bearer {asgi_tenant.api_key}"
