"""Configuration: constructor argument, then environment, then a clear error."""

from __future__ import annotations

import httpx
import pytest

from conftest import Tenant
from vaultline_sdk import SDK, AsyncSDK, ConfigurationError
from vaultline_sdk.models import operations


def test_missing_server_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="VAULTLINE_SERVER_URL"):
        SDK()
    with pytest.raises(ConfigurationError, match="VAULTLINE_SERVER_URL"):
        AsyncSDK()


def test_server_url_must_be_http() -> None:
    with pytest.raises(ConfigurationError, match="absolute http"):
        SDK(server_url="vault.example.com")


def test_environment_fills_what_arguments_leave_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTLINE_SERVER_URL", "http://env.test/")
    monkeypatch.setenv("VAULTLINE_API_KEY", "env-key")
    monkeypatch.setenv("VAULTLINE_APP_ID", "env-app")
    from_env = SDK()
    assert from_env.server_url == "http://env.test"
    assert from_env._client.headers_for() == {"Authorization": "Bearer env-key", "x-apideck-app-id": "env-app"}
    explicit = SDK(server_url="http://arg.test", api_key="arg-key", app_id="arg-app")
    assert explicit.server_url == "http://arg.test"
    assert explicit._client.headers_for() == {"Authorization": "Bearer arg-key", "x-apideck-app-id": "arg-app"}


def test_missing_key_or_app_id_fails_at_the_call_naming_the_fix() -> None:
    sdk = SDK(server_url="http://vault.test")
    with pytest.raises(ConfigurationError, match="VAULTLINE_API_KEY"):
        sdk.consumers.list()
    request = operations.SessionsCreateRequest(x_apideck_consumer_id="c")
    with pytest.raises(ConfigurationError, match="VAULTLINE_APP_ID"):
        sdk.sessions.sessions_create(request, operations.SessionsCreateSecurity(api_key="k"))


def test_secrets_stay_out_of_reprs() -> None:
    sdk = SDK(server_url="http://vault.test", api_key="vl_live_secret", app_id="app")
    assert "vl_live_secret" not in repr(sdk) and "vl_live_secret" not in repr(sdk._client.config)
    assert "vl_live_secret" not in repr(operations.SessionsCreateSecurity(api_key="vl_live_secret"))


@pytest.mark.slow
def test_an_injected_client_is_used_and_never_closed(live_tenant: Tenant) -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(headers={"X-Mine": "1"}, event_hooks={"request": [seen.append]})
    with SDK(
        server_url=live_tenant.server_url,
        api_key=live_tenant.api_key,
        app_id=live_tenant.application_id,
        http_client=http,
    ) as sdk:
        assert isinstance(list(sdk.consumers.list()), list)
    assert not http.is_closed
    assert seen[0].headers["x-mine"] == "1" and seen[0].headers["authorization"] == f"Bearer {live_tenant.api_key}"
    assert seen[0].headers["user-agent"].startswith("vaultline-sdk-python/")
    http.close()
