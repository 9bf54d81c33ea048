"""The CSRF-protected OAuth flow (a ``nonce`` at /vault/authorize, the ``confirm_token`` in the
callback's fragment, ``connectionsConfirm``) and ``createCallbackState``, against the real
oidc-provider on loopback, on both backends."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from tests.support.connections import session_headers
from tests.support.consumer_logs import read_logs
from tests.support.hosted import SAME_ORIGIN, OpenedSession, open_session
from tests.support.oauth import (
    CONNECTION_PAGE,
    CREDENTIALS,
    PUBLIC_URL,
    authorize_href,
    connect,
    expire_access_token,
    oauth_settings,
    offer_oauth,
    running_app,
)
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, SERVICE_ID, OidcProvider, consent_as_person
from tests.support.tenants import Tenant, create_tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.config import Settings
from vaultline.db.schema import connections
from vaultline.oauth.refresh import TokenRefreshFailed, fresh_credentials
from vaultline.runtime import Runtime
from vaultline.store.connections import get_connection

CONNECTION = f"/vault/connections/crm/{SERVICE_ID}"
CONFIRM = CONNECTION + "/confirm"
CALLBACK_STATE = CONNECTION + "/callback-state"
APP_PAGE = "https://app.example/integrations"
NONCE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


@pytest.fixture
async def app(settings: Settings, oidc: OidcProvider, tmp_path: Path) -> AsyncIterator[FastAPI]:
    async with running_app(oauth_settings(settings, oidc, tmp_path)) as application:
        yield application


@pytest.fixture
async def saas(app: FastAPI) -> Tenant:
    tenant = await create_tenant(app, name="Acme SaaS", redirect_origins=("https://app.example",))
    await offer_oauth(app, tenant)
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/hook")  # events are kept, not delivered
    return tenant


async def connection_of(client: httpx.AsyncClient, tenant: Tenant, consumer_id: str = "c1") -> dict[str, Any]:
    response = await client.get(CONNECTION, headers=tenant.headers(consumer_id))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def sign_in(client: httpx.AsyncClient, tenant: Tenant, **query: str) -> tuple[OpenedSession, httpx.Response]:
    """Open a session, press Authorize (with ``query`` added to the link, as the application's
    page would add ``nonce``), consent at the provider, and follow the callback once."""
    session = await open_session(client, tenant, {"settings": {"allow_actions": ["reauthorize"]}})
    page = await client.get(session.page(CONNECTION_PAGE + "?step=reauthorize"))  # first connect or re-authorize
    match = re.search(r'<a class="button primary" href="([^"]+)">Authorize', page.text)
    assert match, page.text
    href = html.unescape(match.group(1))
    started = await client.get(href.removeprefix(PUBLIC_URL) + "&" + urlencode(query))
    assert started.status_code == 302, started.text
    callback = await consent_as_person(started.headers["location"])
    return session, await client.get(callback.removeprefix(PUBLIC_URL))


async def confirm(client: httpx.AsyncClient, tenant: Tenant, back: httpx.Response) -> httpx.Response:
    """The backend confirming with the token from the callback's fragment."""
    return await client.post(
        CONFIRM, headers=tenant.headers("c1"), json={"confirm_token": fragment_of(back)["confirm_token"]}
    )


def fragment_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["location"]).fragment).items()}


async def test_nonce_leaves_the_connection_pending_until_the_backend_confirms(
    app: FastAPI, client: httpx.AsyncClient, saas: Tenant
) -> None:
    _, back = await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    assert back.headers["location"].startswith(APP_PAGE + "?authorizedConnection=")
    fragment = fragment_of(back)
    assert fragment["nonce"] == NONCE and fragment["service_id"] == SERVICE_ID and len(fragment["confirm_token"]) >= 40
    pending = await connection_of(client, saas)
    assert (pending["state"], pending["health"]) == ("authorized", "pending_confirmation")
    refused = await client.get(CREDENTIALS, headers=saas.headers("c1"))
    assert refused.status_code == 422 and refused.json()["detail"] == {"health": "pending_confirmation"}

    confirmed = await client.post(
        CONFIRM, headers=saas.headers("c1"), json={"confirm_token": fragment["confirm_token"]}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"status_code": 200, "status": "OK", "data": {"confirmed": True}}
    usable = await connection_of(client, saas)
    assert (usable["state"], usable["health"]) == ("callable", "ok")
    assert (await client.get(CREDENTIALS, headers=saas.headers("c1"))).status_code == 200
    types = [event["type"] for event in await outbox(app, saas.application_id)]
    assert types == ["vault.connection.created", "vault.connection.updated", "vault.connection.callable"]


async def test_confirm_token_is_single_use(client: httpx.AsyncClient, saas: Tenant) -> None:
    _, back = await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    body = {"confirm_token": fragment_of(back)["confirm_token"]}
    assert (await client.post(CONFIRM, headers=saas.headers("c1"), json=body)).status_code == 200
    replay = await client.post(CONFIRM, headers=saas.headers("c1"), json=body)
    assert replay.status_code == 422 and "no authorization waiting" in replay.json()["message"], replay.text


async def test_wrong_confirm_token_is_refused_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, saas: Tenant
) -> None:
    _, back = await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    events = len(await outbox(app, saas.application_id))
    wrong = await client.post(CONFIRM, headers=saas.headers("c1"), json={"confirm_token": "not-the-token"})
    assert wrong.status_code == 400 and wrong.json()["type_name"] == "InvalidConfirmTokenError", wrong.text
    assert (await connection_of(client, saas))["health"] == "pending_confirmation"
    assert len(await outbox(app, saas.application_id)) == events
    # Another consumer's backend call cannot confirm c1's connection, even with the right token.
    token = {"confirm_token": fragment_of(back)["confirm_token"]}
    assert (await client.post(CONFIRM, headers=saas.headers("c2"), json=token)).status_code == 404


async def test_expired_confirm_token_is_refused(app: FastAPI, client: httpx.AsyncClient, saas: Tenant) -> None:
    _, back = await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        await connection.execute(update(connections).values(confirm_expires_at=1))
    expired = await client.post(
        CONFIRM, headers=saas.headers("c1"), json={"confirm_token": fragment_of(back)["confirm_token"]}
    )
    assert expired.status_code == 422 and "expired" in expired.json()["message"], expired.text
    assert (await connection_of(client, saas))["health"] == "pending_confirmation"


async def test_without_a_nonce_the_connection_is_callable_at_once(client: httpx.AsyncClient, saas: Tenant) -> None:
    _, back = await sign_in(client, saas, redirect_uri=APP_PAGE)
    assert back.status_code == 303 and "#" not in back.headers["location"]
    assert (await connection_of(client, saas))["health"] == "ok"
    nothing = await client.post(CONFIRM, headers=saas.headers("c1"), json={"confirm_token": "x"})
    assert nothing.status_code == 422, nothing.text


async def test_only_a_new_authorization_or_confirm_ends_a_pending_confirmation(
    client: httpx.AsyncClient, saas: Tenant
) -> None:
    """New tokens with a nonce make a callable connection pending again; a later flow without
    nonce makes it usable, and the old confirm token is then worthless."""
    await sign_in(client, saas, redirect_uri=APP_PAGE)
    _, back = await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    assert (await connection_of(client, saas))["health"] == "pending_confirmation"
    await sign_in(client, saas, redirect_uri=APP_PAGE)
    assert (await connection_of(client, saas))["health"] == "ok"
    stale = await client.post(
        CONFIRM, headers=saas.headers("c1"), json={"confirm_token": fragment_of(back)["confirm_token"]}
    )
    assert stale.status_code == 422


async def test_the_consumers_own_session_token_may_confirm(client: httpx.AsyncClient, saas: Tenant) -> None:
    _, back = await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    token = {"confirm_token": fragment_of(back)["confirm_token"]}
    outside = await session_headers(client, saas, "c1", unified_apis=["accounting"])
    assert (await client.post(CONFIRM, headers=outside, json=token)).status_code == 403
    own = await session_headers(client, saas, "c1")
    assert (await client.post(CONFIRM, headers=own, json=token)).status_code == 200


async def test_confirm_bad_bodies_are_400_not_500(client: httpx.AsyncClient, saas: Tenant) -> None:
    headers = saas.headers("c1")
    for body in ({}, {"confirm_token": ""}, {"confirm_token": 5}, {"confirm_token": "x", "extra": 1}):
        response = await client.post(CONFIRM, headers=headers, json=body)
        assert response.status_code == 400, (body, response.text)
    assert (await client.post(CONFIRM, headers=headers)).status_code == 400
    unknown = await client.post("/vault/connections/crm/nope/confirm", headers=headers, json={"confirm_token": "x"})
    assert unknown.status_code == 404


async def test_an_overlong_nonce_is_refused_before_the_provider(client: httpx.AsyncClient, saas: Tenant) -> None:
    session = await open_session(client, saas)
    href = await authorize_href(client, session)
    response = await client.get(href.removeprefix(PUBLIC_URL) + "&" + urlencode({"nonce": "n" * 257}))
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")


async def test_confirm_is_in_the_consumer_logs(app: FastAPI, client: httpx.AsyncClient, saas: Tenant) -> None:
    _, back = await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    await confirm(client, saas, back)
    logs = await read_logs(app, client, saas.headers("c1"))
    confirms = [log for log in logs if log["operation"]["id"] == "connectionsConfirm"]
    assert len(confirms) == 1 and confirms[0]["status_code"] == 200 and confirms[0]["service"]["id"] == SERVICE_ID


# createCallbackState: the backend runs the OAuth flow itself.


async def test_callback_state_connects_through_the_backends_own_flow(
    app: FastAPI, client: httpx.AsyncClient, saas: Tenant, oidc: OidcProvider
) -> None:
    created = await client.post(CALLBACK_STATE, headers=saas.headers("c9"), json={"redirect_uri": APP_PAGE})
    assert created.status_code == 200, created.text
    data = created.json()["data"]
    assert data["code_challenge_method"] == "S256"
    authorize = f"{oidc.issuer}/auth?" + urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": f"{PUBLIC_URL}/vault/callback",
            "scope": "openid contacts.read",
            "state": data["state"],
            "code_challenge": data["code_challenge"],
            "code_challenge_method": "S256",
        }
    )
    callback = await consent_as_person(authorize)
    # No Hosted Vault session and no binding cookie: the backend vouched for the consumer.
    async with httpx.AsyncClient(transport=client._transport, base_url=PUBLIC_URL) as browser:  # noqa: SLF001
        back = await browser.get(callback.removeprefix(PUBLIC_URL))
        assert back.status_code == 303, back.text
        assert back.headers["location"] == f"{APP_PAGE}?authorizedConnection={SERVICE_ID}"
        assert (await connection_of(client, saas, "c9"))["health"] == "ok"
        replay = await browser.get(callback.removeprefix(PUBLIC_URL))
        assert replay.status_code == 400


async def test_callback_state_is_for_the_api_key_only(client: httpx.AsyncClient, saas: Tenant) -> None:
    headers = await session_headers(client, saas, "c1")
    refused = await client.post(CALLBACK_STATE, headers=headers, json={"redirect_uri": APP_PAGE})
    assert refused.status_code == 403, refused.text


@pytest.mark.parametrize(
    "body",
    [None, {}, {"redirect_uri": "https://evil.example/x"}, {"redirect_uri": "javascript:alert(1)"},
     {"redirect_uri": "https://evil.example\\@app.example/"}],
)  # fmt: skip
async def test_callback_state_needs_an_allowlisted_redirect_uri(
    client: httpx.AsyncClient, saas: Tenant, body: dict[str, str] | None
) -> None:
    response = await client.post(CALLBACK_STATE, headers=saas.headers("c1"), json=body)
    assert response.status_code == 422, response.text


async def test_callback_state_for_an_integration_not_offered_is_404(client: httpx.AsyncClient, saas: Tenant) -> None:
    response = await client.post("/vault/connections/crm/nope/callback-state", headers=saas.headers("c1"), json={})
    assert response.status_code == 404


async def test_a_callback_state_cannot_start_an_authorization(client: httpx.AsyncClient, saas: Tenant) -> None:
    """Its own audience: it is no Hosted Vault link, so /vault/authorize refuses it."""
    created = await client.post(CALLBACK_STATE, headers=saas.headers("c1"), json={"redirect_uri": APP_PAGE})
    state = created.json()["data"]["state"]
    response = await client.get(f"/vault/authorize/{SERVICE_ID}/{saas.application_id}?" + urlencode({"state": state}))
    assert response.status_code == 400


async def test_token_refresh_never_confirms_a_pending_connection(
    app: FastAPI, client: httpx.AsyncClient, saas: Tenant
) -> None:
    await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    await expire_access_token(app, saas)
    runtime: Runtime = app.state.runtime
    definition = runtime.catalog.find(unified_api="crm", service_id=SERVICE_ID)
    assert definition is not None
    async with runtime.engine.connect() as connection:
        record = await get_connection(
            connection, application_id=saas.application_id, consumer_id="c1", unified_api="crm",
            service_id=SERVICE_ID, ring=runtime.master_keys,
        )  # fmt: skip
    assert record is not None
    refreshed = await fresh_credentials(runtime, definition, record)
    assert refreshed.oauth_credentials != record.oauth_credentials  # the provider did refresh
    assert (await connection_of(client, saas))["health"] == "pending_confirmation"


async def test_a_disconnected_oauth_connection_is_health_revoked(client: httpx.AsyncClient, saas: Tenant) -> None:
    """Vaultline remembers a revocation, so health tells "the consumer disconnected" apart from
    "never authorized" (both are state ``added``)."""
    session = await connect(client, saas)
    disconnected = await client.post(session.page(CONNECTION_PAGE + "/disconnect"), headers=SAME_ORIGIN)
    assert disconnected.status_code == 303, disconnected.text
    data = await connection_of(client, saas)
    assert (data["state"], data["health"]) == ("added", "revoked")
    await sign_in(client, saas)
    assert (await connection_of(client, saas))["health"] == "ok"


async def test_openapi_describes_the_new_operations(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for operation_id in (
        "connectionsConfirm",
        "createCallbackState",
        "connectionConsentsAll",
        "connectionConsentUpdate",
    ):
        assert operation_id in operations, operation_id
    assert operations["connectionsConfirm"]["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "confirm_token"
    ]
    authorize = document["paths"]["/vault/authorize/{service_id}/{application_id}"]["get"]
    assert "nonce" in [parameter["name"] for parameter in authorize["parameters"]]


async def test_a_refused_refresh_keeps_the_pending_confirmation(
    app: FastAPI, client: httpx.AsyncClient, saas: Tenant, oidc: OidcProvider
) -> None:
    """The refresh-failure write (NewTokens with the old tokens) must not clear what waits for
    POST …/confirm: only the callback decides that."""
    await sign_in(client, saas, nonce=NONCE, redirect_uri=APP_PAGE)
    runtime: Runtime = app.state.runtime
    definition = runtime.catalog.find(unified_api="crm", service_id=SERVICE_ID)
    assert definition is not None
    ids = {"application_id": saas.application_id, "consumer_id": "c1", "unified_api": "crm", "service_id": SERVICE_ID}
    async with runtime.engine.connect() as connection:
        record = await get_connection(connection, **ids, ring=runtime.master_keys)
    assert record is not None and record.oauth_credentials is not None
    async with httpx.AsyncClient(trust_env=False) as http:  # the consumer revoked access at the provider
        revoked = await http.post(
            f"{oidc.issuer}/token/revocation",
            data={
                "token": record.oauth_credentials["refresh_token"],
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
    assert revoked.status_code == 200
    await expire_access_token(app, saas)
    async with runtime.engine.connect() as connection:
        expiring = await get_connection(connection, **ids, ring=runtime.master_keys)
    assert expiring is not None
    with pytest.raises(TokenRefreshFailed):
        await fresh_credentials(runtime, definition, expiring)
    async with runtime.engine.connect() as connection:
        after = await get_connection(connection, **ids, ring=runtime.master_keys)
    assert after is not None and after.validation_error is not None  # the refusal was written…
    assert (
        record.confirm_token_hash is not None and after.confirm_token_hash == record.confirm_token_hash
    )  # …not a confirmation
