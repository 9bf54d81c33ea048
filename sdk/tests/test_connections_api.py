"""``sdk.connections`` against the real server: with the API key and as a consumer with a
session token, in-process (async) and over a socket (sync, and the README's examples)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from readme_examples import run_example

from conftest import Tenant
from vaultline_sdk import (
    SDK,
    AsyncSDK,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from vaultline_sdk.models import shared

CONSUMER = "acme"
# Freshsales: an API key (sensitive) and a required, non-sensitive bundle domain.
FRESHSALES = ("crm", "freshsales")
SECRET = "fs-0123456789abcdef"
MASK = "********"


class RecordedRequests:
    """The requests an in-process client sent, to check what went on the wire."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


@pytest.fixture
def recorded() -> RecordedRequests:
    return RecordedRequests()


@pytest.fixture
async def recording_sdk(
    server_app: FastAPI, asgi_tenant: Tenant, recorded: RecordedRequests
) -> AsyncIterator[AsyncSDK]:
    transport = httpx.ASGITransport(app=server_app)
    async with httpx.AsyncClient(transport=transport, event_hooks={"request": [recorded]}) as http:
        yield AsyncSDK(
            server_url=asgi_tenant.server_url,
            api_key=asgi_tenant.api_key,
            app_id=asgi_tenant.application_id,
            http_client=http,
        )


@pytest.mark.usefixtures("offer_every_integration")
async def test_list_shows_every_offered_integration_as_available(async_sdk: AsyncSDK) -> None:
    connections = await async_sdk.connections.list(CONSUMER)
    assert len(connections) >= 20
    assert len({c.unified_api for c in connections}) >= 4
    assert {c.state for c in connections} == {shared.ConnectionState.AVAILABLE}
    assert all(c.id == f"{c.unified_api}+{c.service_id}" and c.form_fields is not None for c in connections)

    crm = await async_sdk.connections.list(CONSUMER, api=shared.UnifiedApiIdEnum.CRM)
    assert crm and {c.unified_api for c in crm} == {"crm"}
    assert await async_sdk.connections.list(CONSUMER, configured=True) == []
    assert len(await async_sdk.connections.list(CONSUMER, configured=False)) == len(connections)


@pytest.mark.usefixtures("offer_every_integration")
async def test_api_key_integration_from_added_to_callable_to_deleted(
    recording_sdk: AsyncSDK, recorded: RecordedRequests
) -> None:
    connections = recording_sdk.connections
    added = await connections.update(CONSUMER, *FRESHSALES, enabled=True)
    assert added.state == "added" and added.enabled is True and added.health == "needs_auth"
    assert json.loads(recorded.last.content) == {"enabled": True}
    assert recorded.last.headers["x-apideck-consumer-id"] == CONSUMER

    settings = {"domain": "acme", "api_key": SECRET}
    callable_ = await connections.update(CONSUMER, *FRESHSALES, settings=settings, metadata={"plan": "pro"})
    assert callable_.state == shared.ConnectionState.CALLABLE and callable_.health == "ok"
    assert callable_.settings == {"domain": "acme", "api_key": MASK}
    assert callable_.metadata == {"plan": "pro"}

    fetched = await connections.get(CONSUMER, *FRESHSALES)
    assert fetched.settings == callable_.settings
    assert {f.id: f.value for f in fetched.form_fields} == {"domain": "acme", "api_key": MASK}

    credentials = await connections.credentials(CONSUMER, *FRESHSALES)
    assert credentials.settings == settings and credentials.has_credentials is True
    assert credentials.state == "callable" and credentials.id == "crm+freshsales"

    validation = await connections.validate(CONSUMER, *FRESHSALES)
    assert validation.state == "callable" and validation.problems == []
    assert [c.id for c in await connections.list(CONSUMER, configured=True)] == ["crm+freshsales"]

    assert await connections.delete(CONSUMER, *FRESHSALES) is None
    assert (await connections.get(CONSUMER, *FRESHSALES)).state == "available"
    with pytest.raises(NotFoundError):
        await connections.credentials(CONSUMER, *FRESHSALES)
    with pytest.raises(NotFoundError):
        await connections.delete(CONSUMER, *FRESHSALES)


@pytest.mark.usefixtures("offer_every_integration")
async def test_validation_failure_makes_the_connection_invalid(async_sdk: AsyncSDK) -> None:
    await async_sdk.connections.update(
        CONSUMER, *FRESHSALES, enabled=True, settings={"domain": "not a domain", "api_key": SECRET}
    )
    validation = await async_sdk.connections.validate(CONSUMER, *FRESHSALES)
    assert validation.state == shared.ConnectionState.INVALID
    assert any("Account subdomain" in problem for problem in validation.problems)
    assert (await async_sdk.connections.get(CONSUMER, *FRESHSALES)).state == "invalid"


@pytest.mark.usefixtures("offer_every_integration")
async def test_update_sends_only_what_was_set(recording_sdk: AsyncSDK, recorded: RecordedRequests) -> None:
    configuration = [shared.ConnectionConfiguration(resource="leads", defaults=[{"id": "source", "value": "web"}])]
    connection = await recording_sdk.connections.update(CONSUMER, "crm", "pipedrive", configuration=configuration)
    assert json.loads(recorded.last.content) == {
        "configuration": [{"resource": "leads", "defaults": [{"id": "source", "value": "web"}]}]
    }
    assert connection.configuration == configuration
    # What was read can be sent back as it is.
    await recording_sdk.connections.update(CONSUMER, "crm", "pipedrive", configuration=connection.configuration)
    assert json.loads(recorded.last.content)["configuration"] == [
        {"resource": "leads", "defaults": [{"id": "source", "value": "web"}]}
    ]


@pytest.mark.usefixtures("offer_every_integration")
async def test_credentials_of_a_connection_without_them_is_unprocessable(async_sdk: AsyncSDK) -> None:
    await async_sdk.connections.update(CONSUMER, "ats", "greenhouse", enabled=True)
    with pytest.raises(UnprocessableEntityError, match="no credentials"):
        await async_sdk.connections.credentials(CONSUMER, "ats", "greenhouse")


@pytest.mark.usefixtures("offer_every_integration")
async def test_session_token_calls_as_the_consumer(
    recording_sdk: AsyncSDK, recorded: RecordedRequests, asgi_tenant: Tenant
) -> None:
    settings = shared.SessionSettings(
        unified_apis=[shared.UnifiedApiIdEnum.CRM], allow_actions=[shared.SessionSettingsAllowActionsEnum.DISABLE]
    )
    token = (await recording_sdk.sessions.create(CONSUMER, shared.Session(settings=settings))).session_token
    consumer = recording_sdk.with_options(session_token=token)

    listed = await consumer.connections.list(CONSUMER)
    assert listed and {c.unified_api for c in listed} == {"crm"}
    sent = recorded.last.headers
    assert sent["authorization"] == f"Bearer {token}" and sent["x-apideck-auth-type"] == "JWT"
    assert sent["x-apideck-app-id"] == asgi_tenant.application_id and sent["x-apideck-consumer-id"] == CONSUMER

    added = await consumer.connections.update(CONSUMER, *FRESHSALES, enabled=True, settings={"api_key": SECRET})
    assert added.state == "authorized" and added.settings == {"api_key": MASK}
    with pytest.raises(PermissionDeniedError) as denied:
        await consumer.connections.credentials(CONSUMER, *FRESHSALES)
    assert denied.value.status_code == 403 and "session token" in str(denied.value)
    with pytest.raises(PermissionDeniedError, match="'delete'"):  # not in the session's allow_actions
        await consumer.connections.delete(CONSUMER, *FRESHSALES)
    with pytest.raises(PermissionDeniedError, match="'hris'"):  # not in the session's unified_apis
        await consumer.connections.get(CONSUMER, "hris", "bamboohr")

    # The backend's API key is never limited by a session's settings.
    assert (await recording_sdk.connections.credentials(CONSUMER, *FRESHSALES)).settings == {"api_key": SECRET}


@pytest.mark.usefixtures("offer_every_integration")
async def test_a_session_client_cannot_name_another_consumer(async_sdk: AsyncSDK) -> None:
    token = (await async_sdk.sessions.create(CONSUMER)).session_token
    consumer = async_sdk.with_options(session_token=token)
    with pytest.raises(ConfigurationError, match="'acme'.*'globex'"):
        await consumer.connections.list("globex")


def test_a_session_token_that_is_not_a_jwt_is_refused_when_the_client_is_built() -> None:
    with pytest.raises(ConfigurationError, match="session JWT"):
        SDK(server_url="http://vault.test", session_token="vl_live_not_a_jwt")


def test_connection_models_keep_what_they_do_not_know() -> None:
    connection = shared.Connection.model_validate(
        {"id": "crm+x", "service_id": "x", "unified_api": "crm", "state": "paused", "future_field": "granted"}
    )
    assert connection.state == "paused" and connection.model_extra == {"future_field": "granted"}
    known = shared.Connection.model_validate({"id": "crm+x", "service_id": "x", "unified_api": "crm", "state": "added"})
    assert known.state is shared.ConnectionState.ADDED


@pytest.mark.slow
def test_connections_over_a_socket(live_offering_tenant: Tenant, sdk: SDK) -> None:
    consumer, api, service = "connections-sync", "ats", "greenhouse"
    connections = sdk.connections.list(consumer)
    assert len(connections) >= 20 and len({c.unified_api for c in connections}) >= 4

    updated = sdk.connections.update(consumer, api, service, enabled=True, settings={"api_key": "gh-secret"})
    assert updated.state == "callable" and updated.settings == {"api_key": MASK}
    assert sdk.connections.get(consumer, api, service).settings == {"api_key": MASK}
    assert sdk.connections.credentials(consumer, api, service).settings == {"api_key": "gh-secret"}

    token = sdk.sessions.create(consumer).session_token
    with SDK(server_url=live_offering_tenant.server_url, session_token=token) as as_consumer:
        assert as_consumer.connections.get(consumer, api, service).settings == {"api_key": MASK}
        with pytest.raises(PermissionDeniedError):
            as_consumer.connections.credentials(consumer, api, service)

    sdk.connections.delete(consumer, api, service)
    assert sdk.connections.get(consumer, api, service).state == "available"


@pytest.mark.slow
def test_readme_connection_examples(live_offering_tenant: Tenant, capsys: pytest.CaptureFixture[str]) -> None:
    run_example("connections", live_offering_tenant)
    out = capsys.readouterr().out.splitlines()
    assert "crm+freshsales available" in out
    assert out[-3:] == [
        "callable {'domain': 'acme', 'api_key': '********'}",
        SECRET,
        "callable",
    ]

    run_example("connections-as-consumer", live_offering_tenant)
    assert capsys.readouterr().out.splitlines() == ["{'crm'}", "403"]
