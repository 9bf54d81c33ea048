"""Apideck's own generated Python SDK (`apideck-unify`), pointed at a real `vaultline serve`, drives
every Vault operation as an Apideck customer would. The SDK validates each answer against its models
(built from Apideck's spec), so any difference in our wire format fails here as an exception or a
missing field. One test per resource; the setup helpers are shared so new operations slot in."""

from __future__ import annotations

import functools
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import schemathesis
from apideck_unify import Apideck, models
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.support.connections import PIPEDRIVE_TOKEN
from tests.support.live_server import VAULTLINE, LiveServer, create_app_via_cli, live_server, run_cli
from tests.support.reference_spec import REFERENCE_SPEC, require_reference_spec
from vaultline.config import Settings

pytestmark = [
    pytest.mark.slow,
    # The SDK's own request models trip pydantic's serializer: its "open" enums store a plain str
    # (`UnifiedAPIID.CRM` becomes "crm" on validation), then warn when serializing it as an enum.
    # That warning is about the SDK, not about our answers; the suite turns warnings into errors.
    pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning"),
]


# Where the customer's own pages live (its application's redirect allowlist).
ACME_ORIGIN = "https://app.acme.example"

# The header Apideck's clients send with a session token instead of an API key.
JWT_AUTH = {"x-apideck-auth-type": "JWT"}


@functools.cache
def reference_schema() -> OpenApiSchema:
    return schemathesis.openapi.from_path(REFERENCE_SPEC)


@dataclass
class WireRecorder:
    """Every answer the SDK received, checked afterwards against Apideck's spec itself: the SDK's
    models are more lenient than the spec (a `null` where the spec has a number parses fine)."""

    answers: list[httpx.Response] = field(default_factory=list)

    def record(self, response: httpx.Response) -> None:
        response.read()
        self.answers.append(response)

    def mismatches(self) -> list[str]:
        found = []
        for response in self.answers:
            request = response.request
            operation = reference_schema().find_operation_by_path(request.method, request.url.path)
            if operation is None:
                found.append(f"{request.method} {request.url.path}: not an operation of the spec")
                continue
            try:
                operation.validate_response(response)
            except AssertionError as failure:  # schemathesis' failures are AssertionErrors
                found.append(f"{request.method} {request.url.path} -> {response.status_code}: {failure}")
        return found


@dataclass(frozen=True)
class Customer:
    """A SaaS with its application on a running server, as the customer's backend knows it."""

    server: LiveServer
    application_id: str
    api_key: str
    http: httpx.Client

    def sdk(self, consumer_id: str = "acme-consumer") -> Apideck:
        """The SDK as a customer's backend builds it: API key, app id, consumer id and our URL."""
        return Apideck(
            api_key=self.api_key,
            app_id=self.application_id,
            consumer_id=consumer_id,
            server_url=self.server.url,
            client=self.http,
        )

    def session_sdk(self, consumer_id: str, settings: models.Settings | None = None) -> Apideck:
        """The SDK holding a session token where the API key goes (calls must add ``JWT_AUTH``)."""
        token = mint_session(self.sdk(consumer_id), settings).session_token
        assert token is not None
        return Apideck(
            api_key=token,
            app_id=self.application_id,
            consumer_id=consumer_id,
            server_url=self.server.url,
            client=self.http,
        )

    def offer(self, *service_ids: str) -> None:
        run_cli(self.server.env, "integrations", "enable", "--app", self.application_id, *service_ids)


@pytest.fixture
def customer(settings: Settings) -> Iterator[Customer]:
    """The customer, and after the test every answer its SDK got, checked against the spec."""
    require_reference_spec()
    recorder = WireRecorder()
    with (
        live_server(settings) as server,
        httpx.Client(follow_redirects=True, event_hooks={"response": [recorder.record]}) as http,
    ):
        app = create_app_via_cli(server.env, "Acme SaaS", "--redirect-origin", ACME_ORIGIN)
        yield Customer(server, app["application_id"], app["api_key"], http)
    mismatches = recorder.mismatches()
    assert not mismatches, "\n".join(mismatches)


def mint_session(sdk: Apideck, settings: models.Settings | None = None) -> models.CreateSessionResponseData:
    metadata = models.ConsumerMetadata(account_name="Acme", email="ann@acme.example")
    result = sdk.vault.sessions.create(session=models.Session(consumer_metadata=metadata, settings=settings))
    assert result.create_session_response is not None
    answer = result.create_session_response
    assert answer.status_code == 200 and answer.status == "OK"
    return answer.data


def add_pipedrive(sdk: Apideck) -> models.Connection:
    """An API-key integration entered with its settings, as the customer's backend would."""
    result = sdk.vault.connections.update(
        service_id="pipedrive", unified_api="crm", enabled=True, settings={"api_token": PIPEDRIVE_TOKEN}
    )
    assert result.update_connection_response is not None
    connection = result.update_connection_response.data
    assert connection is not None
    return connection


def test_sessions_create(customer: Customer) -> None:
    settings = models.Settings(
        unified_apis=[models.UnifiedAPIID.CRM], allow_actions=[models.AllowActions.DISABLE], session_length="30m"
    )
    data = mint_session(customer.sdk("ann"), settings)
    assert data.session_uri.startswith(f"{customer.server.url}/session/")
    assert data.session_token and data.session_uri.endswith(data.session_token)
    # the SDK's bare call sends no body at all
    bare = customer.sdk("bob").vault.sessions.create().create_session_response
    assert bare is not None and bare.data.session_uri.endswith(bare.data.session_token or "-")
    # a wrong key is the SDK's own UnauthorizedResponse, its body parsed into the error shape
    wrong = Apideck(
        api_key="vl_live_wrong",
        app_id=customer.application_id,
        consumer_id="ann",
        server_url=customer.server.url,
        client=customer.http,
    )
    with pytest.raises(models.UnauthorizedResponse) as refused:
        wrong.vault.sessions.create()
    assert refused.value.data.status_code == 401 and refused.value.data.type_name


def test_consumers(customer: Customer) -> None:
    sdk = customer.sdk()
    created = sdk.vault.consumers.create(
        consumer_id="cons-1", metadata={"account_name": "Acme", "user_name": "Ann", "email": "ann@acme.example"}
    )
    assert created.create_consumer_response is not None
    assert created.create_consumer_response.status_code == 200
    assert created.create_consumer_response.data.consumer_id == "cons-1"
    sdk.vault.consumers.create(consumer_id="cons-2", metadata={"account_name": "Beta"})

    listed = sdk.vault.consumers.list()
    assert listed is not None and listed.get_consumers_response is not None
    page = listed.get_consumers_response
    assert {c.consumer_id for c in page.data} == {"cons-1", "cons-2"}
    assert page.meta is not None and page.links is not None
    first = sdk.vault.consumers.list(limit=1)
    assert first is not None and first.get_consumers_response is not None
    following = first.next()  # the SDK follows meta.cursors.next
    assert following is not None and following.get_consumers_response is not None
    ids = [c.consumer_id for c in [*first.get_consumers_response.data, *following.get_consumers_response.data]]
    assert sorted(ids) == ["cons-1", "cons-2"]

    one = sdk.vault.consumers.get(consumer_id="cons-1")
    assert one.get_consumer_response is not None
    consumer = one.get_consumer_response.data
    assert consumer.consumer_id == "cons-1"
    assert consumer.metadata is not None and consumer.metadata.email == "ann@acme.example"

    updated = sdk.vault.consumers.update(consumer_id="cons-1", metadata={"user_name": "Ann B."})
    assert updated.update_consumer_response is not None
    metadata = updated.update_consumer_response.data.metadata
    assert metadata is not None and metadata.user_name == "Ann B."

    deleted = sdk.vault.consumers.delete(consumer_id="cons-2")
    assert deleted.delete_consumer_response is not None
    assert deleted.delete_consumer_response.data.consumer_id == "cons-2"
    with pytest.raises(models.NotFoundResponse):
        sdk.vault.consumers.get(consumer_id="cons-2")


def test_connections(customer: Customer) -> None:
    customer.offer("pipedrive", "deel")
    sdk = customer.sdk("ann")

    listed = sdk.vault.connections.list()
    assert listed.get_connections_response is not None
    every = {c.id: c for c in listed.get_connections_response.data}
    assert set(every) == {"crm+pipedrive", "hris+deel"}
    assert every["crm+pipedrive"].state == models.ConnectionState.AVAILABLE
    only_crm = sdk.vault.connections.list(api="crm").get_connections_response
    assert only_crm is not None and [c.id for c in only_crm.data] == ["crm+pipedrive"]

    connection = add_pipedrive(sdk)
    assert connection.id == "crm+pipedrive" and connection.state == models.ConnectionState.CALLABLE
    assert connection.enabled is True and connection.settings == {"api_token": "********"}
    assert isinstance(connection.created_at, float | int) and connection.created_at > 1_600_000_000_000

    configured = sdk.vault.connections.list(configured=True).get_connections_response
    assert configured is not None and [c.id for c in configured.data] == ["crm+pipedrive"]

    got = sdk.vault.connections.get(service_id="pipedrive", unified_api="crm").get_connection_response
    assert got is not None and got.data is not None
    assert got.data.state == models.ConnectionState.CALLABLE and got.data.service_id == "pipedrive"

    disabled = sdk.vault.connections.update(service_id="pipedrive", unified_api="crm", enabled=False)
    assert disabled.update_connection_response is not None and disabled.update_connection_response.data is not None
    assert disabled.update_connection_response.data.enabled is False

    deleted = sdk.vault.connections.delete(service_id="pipedrive", unified_api="crm")
    assert deleted.http_meta.response.status_code == 204
    after = sdk.vault.connections.get(service_id="pipedrive", unified_api="crm").get_connection_response
    assert after is not None and after.data is not None and after.data.state == models.ConnectionState.AVAILABLE


def test_validate_connection(customer: Customer) -> None:
    customer.offer("pipedrive")
    sdk = customer.sdk("ann")
    add_pipedrive(sdk)
    result = sdk.vault.validate_connection.state(service_id="pipedrive", unified_api="crm")
    assert result.validate_connection_state_response is not None
    data = result.validate_connection_state_response.data
    assert data.id == "crm+pipedrive" and data.state == models.ConnectionState.CALLABLE


def test_session_token_calls(customer: Customer) -> None:
    """The Hosted Vault's own calls, made through the SDK with a session token."""
    customer.offer("pipedrive", "deel")
    sdk = customer.session_sdk("ann", models.Settings(unified_apis=[models.UnifiedAPIID.CRM]))
    listed = sdk.vault.connections.list(http_headers=JWT_AUTH).get_connections_response
    assert listed is not None and [c.id for c in listed.data] == ["crm+pipedrive"]
    connection = sdk.vault.connections.update(
        service_id="pipedrive",
        unified_api="crm",
        enabled=True,
        settings={"api_token": PIPEDRIVE_TOKEN},
        http_headers=JWT_AUTH,
    ).update_connection_response
    assert connection is not None and connection.data is not None
    assert connection.data.state == models.ConnectionState.CALLABLE
    # the session's unified_apis are enforced on the server, not only in the UI
    with pytest.raises(models.APIError) as refused:
        sdk.vault.connections.get(service_id="deel", unified_api="hris", http_headers=JWT_AUTH)
    assert refused.value.status_code == 403


def test_logs(customer: Customer) -> None:
    customer.offer("pipedrive")
    sdk = customer.sdk("ann")
    add_pipedrive(sdk)
    sdk.vault.connections.get(service_id="pipedrive", unified_api="crm")
    # Consumer logs are written after the answer is sent; wait until both calls are visible.
    deadline = time.monotonic() + 10
    while True:
        page = sdk.vault.logs.list(limit=1)
        assert page is not None and page.get_logs_response is not None
        logs = page.get_logs_response
        following = page.next()
        if following is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert logs.status_code == 200 and len(logs.data) == 1
    assert logs.meta is not None and logs.meta.cursors is not None and logs.meta.cursors.next
    assert following is not None and following.get_logs_response is not None
    second = following.get_logs_response.data
    paths = {entry.path for entry in [*logs.data, *second]}
    assert paths <= {"/vault/connections/crm/pipedrive"}
    entry = logs.data[0]
    assert entry.consumer_id == "ann" and entry.unified_api == "vault" and entry.service.id == "pipedrive"

    # the SDK's filter: deepObject query keys, status codes sent as floats, dates as ISO 8601
    only_patch = models.LogsFilter(
        connector_id="crm+pipedrive",
        http_methods=["PATCH"],
        status_codes=[200.0],
        start_date=datetime.now(UTC) - timedelta(hours=1),
    )
    filtered = sdk.vault.logs.list(filter_=only_patch)
    assert filtered is not None and filtered.get_logs_response is not None
    assert [(e.http_method, e.status_code) for e in filtered.get_logs_response.data] == [("PATCH", 200)]


# --- The operations issue 13 added ---------------------------------------------------------

# What a consumer's imported HubSpot tokens look like (none of them is ever answered back).
IMPORTED_ACCESS_TOKEN = "imported-access-token-0123456789"
IMPORTED_REFRESH_TOKEN = "imported-refresh-token-0123456789"


def set_oauth_client(customer: Customer, service_id: str) -> None:
    """The application's own OAuth client for ``service_id`` (the secret goes in on stdin)."""
    command = [VAULTLINE, "integrations", "set-oauth", "--app", customer.application_id, service_id]
    subprocess.run(
        [*command, "--client-id", "acme-client", "--client-secret", "-"],
        env=customer.server.env,
        input="acme-client-secret\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def wait_for_logged_calls(sdk: Apideck, at_least: int) -> None:
    """Consumer logs are written after the answer is sent: wait until the calls are visible."""
    deadline = time.monotonic() + 10
    while True:
        page = sdk.vault.logs.list(limit=at_least)
        assert page is not None and page.get_logs_response is not None
        if len(page.get_logs_response.data) >= at_least or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def test_consumers_filters(customer: Customer) -> None:
    sdk = customer.sdk()
    sdk.vault.consumers.create(consumer_id="cons-1", metadata={"account_name": "Acme", "email": "ann@acme.example"})
    sdk.vault.consumers.create(consumer_id="cons-2", metadata={"account_name": "Beta", "email": "bo@beta.example"})
    by_id = sdk.vault.consumers.list(filter_=models.ConsumersFilter(consumer_id="cons-2"))
    assert by_id is not None and by_id.get_consumers_response is not None
    assert [c.consumer_id for c in by_id.get_consumers_response.data] == ["cons-2"]
    searched = sdk.vault.consumers.list(filter_=models.ConsumersFilter(search="acme"))
    assert searched is not None and searched.get_consumers_response is not None
    assert [c.consumer_id for c in searched.get_consumers_response.data] == ["cons-1"]


def test_connection_update_accepts_every_connection_input_field(customer: Customer) -> None:
    customer.offer("pipedrive")
    sdk = customer.sdk("ann")
    add_pipedrive(sdk)
    updated = sdk.vault.connections.update(
        service_id="pipedrive", unified_api="crm", custom_mappings=[], application_data_scopes=None
    ).update_connection_response
    assert updated is not None and updated.data is not None and updated.data.state == models.ConnectionState.CALLABLE


def test_connection_settings(customer: Customer) -> None:
    """connectionSettingsAll / connectionSettingsUpdate: one resource's defaults."""
    customer.offer("pipedrive")
    sdk = customer.sdk("ann")
    add_pipedrive(sdk)
    listed = sdk.vault.connection_settings.list(unified_api="crm", service_id="pipedrive", resource="leads")
    assert listed.get_connection_response is not None and listed.get_connection_response.data is not None
    configuration = listed.get_connection_response.data.configuration or []
    assert [c.resource for c in configuration] == ["leads"]

    leads_owner = models.ConnectionConfiguration(
        resource="leads", defaults=[models.ConnectionDefaults(id="owner_id", value="42")]
    )
    updated = sdk.vault.connection_settings.update(
        service_id="pipedrive", unified_api="crm", resource="leads", configuration=[leads_owner]
    ).update_connection_response
    assert updated is not None and updated.data is not None
    saved = updated.data.configuration or []
    assert [(c.resource, [(d.id, d.value) for d in c.defaults or []]) for c in saved] == [
        ("leads", [("owner_id", "42")])
    ]
    again = sdk.vault.connection_settings.list(unified_api="crm", service_id="pipedrive", resource="leads")
    assert again.get_connection_response is not None and again.get_connection_response.data is not None
    assert again.get_connection_response.data.configuration == saved


def test_consumer_request_counts(customer: Customer) -> None:
    """consumerRequestCountsAll, counted from the consumer logs."""
    customer.offer("pipedrive")
    sdk = customer.sdk("ann")
    add_pipedrive(sdk)
    sdk.vault.connections.get(service_id="pipedrive", unified_api="crm")
    wait_for_logged_calls(sdk, 2)
    now = datetime.now(UTC)
    counts = sdk.vault.consumer_request_counts.list(
        consumer_id="ann",
        start_datetime=(now - timedelta(hours=1)).isoformat(),
        end_datetime=(now + timedelta(minutes=1)).isoformat(),
    ).consumer_request_counts_in_date_range_response
    assert counts is not None and counts.data is not None
    assert counts.data.consumer_id == "ann" and counts.data.application_id == customer.application_id
    assert counts.data.aggregated_request_count is not None and counts.data.aggregated_request_count >= 2


def test_connections_import(customer: Customer) -> None:
    """connectionsImport: how a customer migrates its consumers' connections to Vaultline."""
    customer.offer("pipedrive", "hubspot")
    set_oauth_client(customer, "hubspot")
    sdk = customer.sdk("ann")
    api_key = sdk.vault.connections.imports(
        service_id="pipedrive", unified_api="crm", settings={"api_token": PIPEDRIVE_TOKEN}
    ).create_connection_response
    assert api_key is not None and api_key.data is not None
    assert api_key.data.state == models.ConnectionState.CALLABLE and api_key.data.settings == {"api_token": "********"}

    tokens = models.Credentials(
        access_token=IMPORTED_ACCESS_TOKEN,
        refresh_token=IMPORTED_REFRESH_TOKEN,
        issued_at=datetime.now(UTC),
        expires_in=3600,
    )
    result = sdk.vault.connections.imports(service_id="hubspot", unified_api="crm", credentials=tokens)
    assert result.create_connection_response is not None and result.create_connection_response.data is not None
    assert result.create_connection_response.data.state == models.ConnectionState.CALLABLE
    assert IMPORTED_ACCESS_TOKEN not in result.http_meta.response.text
    assert IMPORTED_REFRESH_TOKEN not in result.http_meta.response.text


def test_connections_token_on_an_api_key_connection_is_a_clear_422(customer: Customer) -> None:
    """connectionsToken serves client_credentials / password grants; an API-key connection has
    no token to fetch, which the SDK parses as its UnprocessableResponse."""
    customer.offer("pipedrive")
    sdk = customer.sdk("ann")
    add_pipedrive(sdk)
    with pytest.raises(models.UnprocessableResponse) as refused:
        sdk.vault.connections.token(service_id="pipedrive", unified_api="crm", request_body={})
    assert refused.value.data.status_code == 422 and refused.value.data.message


def test_connection_consents(customer: Customer) -> None:
    """connectionConsentsAll / connectionConsentUpdate, where the application asks for consent."""
    customer.offer("pipedrive")
    run_cli(customer.server.env, "apps", "data-scopes", customer.application_id, "--all")
    sdk = customer.sdk("ann")
    connection = add_pipedrive(sdk)
    assert connection.health == models.Health.NEEDS_CONSENT
    granted = sdk.vault.connection_consent.update(
        service_id="pipedrive", unified_api="crm", resources=models.Two.WILDCARD_, granted=True
    ).update_consent_response
    assert granted is not None and granted.data.granted is True and granted.data.id
    records = sdk.vault.connection_consents.list(service_id="pipedrive", unified_api="crm")
    assert records.get_consent_records_response is not None
    assert [r.id for r in records.get_consent_records_response.data] == [granted.data.id]
    after = sdk.vault.connections.get(service_id="pipedrive", unified_api="crm").get_connection_response
    assert after is not None and after.data is not None
    assert after.data.consent_state == models.ConsentState.GRANTED and after.data.health != models.Health.NEEDS_CONSENT


def test_create_callback_state(customer: Customer) -> None:
    customer.offer("hubspot")
    set_oauth_client(customer, "hubspot")
    # The spec leaves redirect_uri optional; Vaultline needs it (on the allowlist) to know where
    # the consumer goes after the callback.
    answer = customer.sdk("ann").vault.create_callback.state(
        service_id="hubspot", unified_api="crm", redirect_uri=f"{ACME_ORIGIN}/integrations/done"
    )
    assert answer.create_callback_state_response is not None
    assert answer.create_callback_state_response.data.state


def test_operations_needing_a_unified_data_layer_say_so(customer: Customer) -> None:
    """Custom fields, custom mappings and migrate: a clear 501 in the error shape, not a 404."""
    customer.offer("pipedrive")
    sdk = customer.sdk("ann")
    add_pipedrive(sdk)
    calls = [
        lambda: sdk.vault.custom_fields.list(unified_api="crm", service_id="pipedrive", resource="leads"),
        lambda: sdk.vault.connection_custom_mappings.list(unified_api="crm", service_id="pipedrive", resource="leads"),
        lambda: sdk.vault.custom_mappings.list(unified_api="crm", service_id="pipedrive"),
        lambda: sdk.vault.connections.migrate(service_id="pipedrive", unified_api="crm", target_service_id="close"),
    ]
    for call in calls:
        with pytest.raises(models.ApideckError) as refused:
            call()
        body = json.loads(refused.value.body)
        assert refused.value.status_code == 501 and body["status_code"] == 501, body
        assert body["type_name"] == "UnsupportedOperationError" and body["message"], body
