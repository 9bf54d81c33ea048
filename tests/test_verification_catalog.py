"""The ``verification`` block of an integration definition: a bad one stops the start with a
message naming it, and a form value can never steer the request to another host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.oauth import running_app
from tests.support.provider_standin import pipedrive_definition, write_catalog_file
from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.catalog.loader import load_catalog
from vaultline.catalog.verification import UnusableValue, render_request
from vaultline.config import Settings
from vaultline.crypto.master_key import ConfigError

BAMBOO_URL = "https://{subdomain}.bamboohr.com/api/gateway.php/{subdomain}/v1/meta/users"


def bamboohr(verification: dict[str, Any]) -> IntegrationDefinition:
    return IntegrationDefinition.model_validate(
        {
            "service_id": "bamboohr",
            "name": "BambooHR",
            "unified_api": "hris",
            "auth_type": "apiKey",
            "form_fields": [
                {"id": "subdomain", "label": "Company domain"},
                {"id": "region", "label": "Region", "type": "select", "required": False,
                 "options": [{"label": "EU", "value": "eu"}, {"label": "US", "value": "us"}]},
                {"id": "api_key", "label": "API key", "type": "password", "sensitive": True},
            ],
            "verification": verification,
        }
    )  # fmt: skip


def request_for(url: str, **extra: Any) -> dict[str, Any]:
    return {"request": {"url": url, **extra}}


BASIC = {"basic_auth": {"username": "{api_key}", "password": "x"}, "headers": {"Accept": "application/json"}}


@pytest.mark.parametrize(
    ("block", "complaint"),
    [
        ({"request": {"url": "https://api.pipedrive.com/v1/users/me"}, "retries": 3}, "retries"),
        (request_for("https://api.pipedrive.com/v1/users/me", verb="GET"), "verb"),
        (request_for("https://api.pipedrive.com/v1/users/me", query={"api_token": "{apitoken}"}), "['apitoken']"),
        (request_for("{scheme}://api.pipedrive.com/v1/users/me"), "absolute http(s) URL"),
        (request_for("https://api-{region}.pipedrive.com/v1/users/me"), "whole DNS label"),
        (request_for("https://{api_token}pipedrive.com/v1/users/me"), "whole DNS label"),
        (request_for("https://api.pipedrive.com:{port}/v1/users/me"), "port"),
        (request_for("https://api.pipedrive.com/v1/users/me?api_token={api_token}"), "query block"),
        (request_for("https://api.pipedrive.com/v1/users/{me"), "stray brace"),
        (request_for("https://api.pipedrive.com/v1/users/me", method="DELETE"), "method"),
        (request_for("https://api.pipedrive.com/v1/users/me", headers={"X-{api_token}": "1"}), "header name"),
        ({**request_for("https://api.pipedrive.com/v1/users/me"), "accepted": [200], "rejected": [200]}, "both"),
        ({**request_for("https://api.pipedrive.com/v1/users/me"), "error_message": "errors..0"}, "error_message"),
    ],
)
def test_a_bad_verification_block_stops_the_start_naming_it(
    tmp_path: Path, block: dict[str, Any], complaint: str
) -> None:
    catalog = write_catalog_file(tmp_path / "catalog.json", pipedrive_definition(block))
    with pytest.raises(ConfigError) as raised:
        load_catalog(catalog)
    message = str(raised.value)
    assert message.startswith(f"Invalid integration catalog {str(catalog)!r}: integrations.0")
    assert "verification" in message or "pipedrive" in message
    assert complaint in message


def test_a_verification_block_is_only_for_api_key_and_basic_integrations(tmp_path: Path) -> None:
    hubspot = next(d for d in load_catalog() if d.service_id == "hubspot").model_dump(mode="json", exclude_none=True)
    hubspot["verification"] = request_for("https://api.hubapi.com/account-info/v3/details")
    with pytest.raises(ConfigError, match="for apiKey and basic integrations"):
        load_catalog(write_catalog_file(tmp_path / "catalog.json", hubspot))


async def test_the_server_does_not_start_with_a_bad_block(settings: Settings, tmp_path: Path) -> None:
    block = request_for("https://{api_token}.pipedrive.com.{api_token}x/v1/users/me")
    catalog = write_catalog_file(tmp_path / "catalog.json", pipedrive_definition(block))
    with pytest.raises(ConfigError, match="whole DNS label"):
        async with running_app(settings.model_copy(update={"catalog_file": catalog})):
            pass


def test_host_and_path_placeholders_render_one_label_and_one_segment() -> None:
    definition = bamboohr(request_for(BAMBOO_URL, **BASIC))
    assert definition.verification is not None
    rendered = render_request(definition.verification, {"subdomain": "acme-1", "api_key": "k3y"}, options={})
    assert rendered.url == "https://acme-1.bamboohr.com/api/gateway.php/acme-1/v1/meta/users"
    assert rendered.basic_auth == ("k3y", "x") and rendered.headers == {"Accept": "application/json"}
    assert "k3y" not in repr(rendered)


@pytest.mark.parametrize(
    "subdomain",
    [
        "evil.example",  # another domain, with bamboohr.com as a mere suffix
        "evil.example/",
        "evil.example#",
        "evil.example?",
        "127.0.0.1",
        "user@evil",
        "evil:8080",
        "",
        "a" * 64,
        "acme\r\nHost: evil",
        "ac me",
        "%2e%2e",
    ],
)
def test_a_host_value_can_never_steer_the_request_elsewhere(subdomain: str) -> None:
    definition = bamboohr(request_for(BAMBOO_URL, **BASIC))
    assert definition.verification is not None
    with pytest.raises(UnusableValue) as raised:
        render_request(definition.verification, {"subdomain": subdomain, "api_key": "k"}, options={})
    assert raised.value.field_id == "subdomain"


def test_a_path_value_is_one_percent_encoded_segment() -> None:
    definition = bamboohr(request_for("https://api.bamboohr.com/api/gateway.php/{subdomain}/v1/meta/users"))
    assert definition.verification is not None
    rendered = render_request(definition.verification, {"subdomain": "../../admin?x=1#"}, options={})
    assert rendered.url == "https://api.bamboohr.com/api/gateway.php/..%2F..%2Fadmin%3Fx%3D1%23/v1/meta/users"


def test_a_host_label_may_be_one_of_the_fields_options() -> None:
    definition = bamboohr(request_for("https://api.{region}.example.com/v1/me"))
    assert definition.verification is not None
    rendered = render_request(definition.verification, {"region": "eu"}, options=definition.host_options)
    assert rendered.url == "https://api.eu.example.com/v1/me"
