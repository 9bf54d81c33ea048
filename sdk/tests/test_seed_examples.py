"""The issue's "done when": the seeds' example, in Python, mints a real session with ``SDK`` and
``AsyncSDK`` against a running server, and a wrong API key raises the 401 error."""

from __future__ import annotations

import httpx
import pytest
from readme_examples import readme_examples, run_example

from conftest import Tenant
from vaultline_sdk import SDK, AuthenticationError
from vaultline_sdk.models import operations

SEED_EXAMPLES = ["seed-go", "seed-java", "seed-php"]


def test_readme_holds_every_tested_example() -> None:
    assert set(readme_examples()) == {
        *SEED_EXAMPLES,
        "seed-async",
        "wrong-key",
        "connections",
        "connections-as-consumer",
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", SEED_EXAMPLES)
def test_seed_example_mints_a_real_session(
    name: str, live_tenant: Tenant, sdk: SDK, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = run_example(name, live_tenant)
    res = namespace.get("res") or namespace["response"]
    assert isinstance(res, operations.SessionsCreateResponse)
    assert res.status_code == 200
    assert res.content_type == "application/json"
    assert isinstance(res.raw_response, httpx.Response)
    data = res.create_session_response.data
    assert data.session_uri == f"{live_tenant.server_url}/session/{data.session_token}"
    assert capsys.readouterr().out.strip() == data.session_uri

    claims = sdk.sessions.verify_token(data.session_token)
    assert claims.consumer_id == "test-consumer" and claims.application_id == live_tenant.application_id
    assert claims.consumer_metadata["account_name"] == "SpaceX"
    assert claims.theme["vault_name"] == "Intercom"
    assert claims.settings["session_length"] == "30m" and claims.settings["unified_apis"] == ["crm"]
    assert claims.exp - claims.iat == 30 * 60
    assert sdk.sessions.get(claims.jti).state == "active"


@pytest.mark.slow
def test_php_style_example_sends_what_was_assigned(live_tenant: Tenant, sdk: SDK) -> None:
    namespace = run_example("seed-php", live_tenant)
    token = namespace["response"].create_session_response.data.session_token
    assert sdk.sessions.verify_token(token).settings["allow_actions"] == [
        "disconnect",
        "reauthorize",
        "disable",
        "delete",
    ]


@pytest.mark.slow
def test_async_example_mints_a_real_session(live_tenant: Tenant, sdk: SDK, capsys: pytest.CaptureFixture[str]) -> None:
    run_example("seed-async", live_tenant)
    session_uri = capsys.readouterr().out.strip()
    assert session_uri.startswith(f"{live_tenant.server_url}/session/")
    claims = sdk.sessions.verify_token(session_uri.rsplit("/", 1)[1])
    assert claims.theme == {"vault_name": "Intercom", "primary_color": "#286efa"}


@pytest.mark.slow
def test_wrong_key_example_raises_401(live_tenant: Tenant, capsys: pytest.CaptureFixture[str]) -> None:
    run_example("wrong-key", live_tenant)
    first_line, second_line = capsys.readouterr().out.strip().splitlines()
    assert first_line.startswith("401 Unauthorized: Invalid API key (The API key is not known")
    assert "[request id " in first_line
    assert second_line.startswith("UnauthorizedError ")


@pytest.mark.slow
def test_wrong_key_raises_authentication_error_with_everything_attached(live_tenant: Tenant) -> None:
    with SDK(server_url=live_tenant.server_url, app_id=live_tenant.application_id) as client:
        request = operations.SessionsCreateRequest(x_apideck_consumer_id="test-consumer")
        with pytest.raises(AuthenticationError) as caught:
            client.sessions.sessions_create(request, operations.SessionsCreateSecurity(api_key="vl_live_wrong"))
    error = caught.value
    assert error.status_code == 401
    assert error.body is not None and error.body.status_code == 401 and error.body.type_name == "UnauthorizedError"
    assert '"type_name":"UnauthorizedError"' in error.raw_body.replace(" ", "")
    assert error.request_id and error.request_id == error.response.headers["x-request-id"]
    assert error.request_id in str(error)
