"""The built-in integration catalog and an operator's catalog file."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from tests.support.connections import by_id, offer
from tests.support.tenants import Tenant
from vaultline.app import create_app
from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.catalog.loader import builtin_definitions, load_catalog
from vaultline.config import Settings
from vaultline.crypto.master_key import ConfigError

CUSTOM = {
    "service_id": "acme-crm",
    "name": "Acme CRM",
    "unified_api": "crm",
    "auth_type": "basic",
    "form_fields": [
        {"id": "username", "label": "Username"},
        {"id": "password", "label": "Password", "type": "password", "sensitive": True},
    ],
    "credential_fields": ["username", "password"],
    "guide": {"url": "https://acme.example/help/api"},
}


def write_catalog(tmp_path: Path, *definitions: dict[str, object]) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"integrations": list(definitions)}))
    return path


def test_builtin_catalog_covers_every_auth_type_with_unique_ids() -> None:
    # Its size and the verification requests are checked in test_catalog_data.py.
    definitions = builtin_definitions()
    assert len({d.service_id for d in definitions}) == len(definitions)
    assert {d.auth_type for d in definitions} >= {"oauth2", "apiKey", "basic"}


def test_oauth_definitions_use_the_providers_https_endpoints() -> None:
    catalog = load_catalog()
    for definition in catalog:
        if definition.oauth is None:
            assert definition.credential_ids, definition.service_id
            continue
        for url in (definition.oauth.authorize_url, definition.oauth.token_url):
            if url is not None or definition.oauth.grant_type == "authorization_code":
                assert urlsplit(url).scheme == "https", definition.service_id
    hubspot = catalog.get("hubspot")
    assert hubspot is not None and hubspot.oauth is not None
    assert hubspot.oauth.authorize_url == "https://app.hubspot.com/oauth/authorize"
    assert hubspot.oauth.token_url == "https://api.hubapi.com/oauth/v1/token"
    google = catalog.get("google-drive")
    assert google is not None and google.oauth is not None
    assert google.oauth.authorize_params == {"access_type": "offline", "prompt": "consent"}


def test_api_key_services_ask_for_what_the_provider_needs() -> None:
    catalog = load_catalog()
    bamboo = catalog.get("bamboohr")
    assert bamboo is not None and [f.id for f in bamboo.form_fields] == ["subdomain", "api_key"]
    assert bamboo.credential_ids == ("api_key",) and bamboo.required_setting_ids == ("subdomain",)
    hibob = catalog.get("hibob")
    assert hibob is not None and hibob.auth_type == "basic"
    assert hibob.credential_ids == ("service_user_id", "token") and hibob.sensitive_ids == {"token"}


def test_operator_file_adds_and_replaces_definitions(tmp_path: Path) -> None:
    replaced = {**CUSTOM, "service_id": "pipedrive", "name": "Pipedrive (EU)"}
    catalog = load_catalog(write_catalog(tmp_path, CUSTOM, replaced))
    assert len(catalog) == len(builtin_definitions()) + 1
    assert catalog.get("acme-crm") is not None
    pipedrive = catalog.get("pipedrive")
    assert pipedrive is not None and pipedrive.name == "Pipedrive (EU)"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"unified_api": "crmm"}, "unified_api"),
        ({"auth_type": "oauth2"}, "oauth"),
        ({"credential_fields": ["nope"]}, "credential_fields"),
        ({"surprise": 1}, "surprise"),
        ({"service_id": "Bad Id"}, "service_id"),
    ],
)
def test_an_invalid_operator_file_refuses_the_start_naming_the_problem(
    tmp_path: Path, change: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_catalog(write_catalog(tmp_path, {**CUSTOM, **change}))


def test_a_missing_operator_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VAULTLINE_CATALOG_FILE"):
        load_catalog(tmp_path / "missing.json")


async def test_an_operator_integration_is_served_like_a_builtin_one(
    settings: Settings, tmp_path: Path, tenant: Tenant, app: FastAPI
) -> None:
    custom_settings = settings.model_copy(update={"catalog_file": write_catalog(tmp_path, CUSTOM)})
    custom_app = create_app(custom_settings)
    async with custom_app.router.lifespan_context(custom_app):
        await offer(custom_app, tenant, ["acme-crm"])
        transport = httpx.ASGITransport(app=custom_app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
            body = {"enabled": True, "settings": {"username": "ada", "password": "pw"}}
            response = await client.patch("/vault/connections/crm/acme-crm", headers=tenant.headers(), json=body)
            assert response.status_code == 200
            data = response.json()["data"]
            assert data["state"] == "callable" and data["settings"] == {"username": "ada", "password": "********"}
            assert data["has_guide"] is True
            assert list(by_id(await client.get("/vault/connections", headers=tenant.headers()))) == ["crm+acme-crm"]


def test_client_credentials_integrations_have_a_token_url_and_the_consumer_s_client_fields() -> None:
    paylocity = load_catalog().get("paylocity")
    assert paylocity is not None and paylocity.oauth is not None
    assert paylocity.oauth.grant_type == "client_credentials" and paylocity.oauth.authorize_url is None
    assert paylocity.oauth.token_url == "https://gwext.paylocity.com/public/security/v1/token"
    assert {f.id for f in paylocity.form_fields} == {"client_id", "client_secret"}


@pytest.mark.parametrize(
    ("oauth", "fields", "message"),
    [
        ({"token_url": "https://p.example/token"}, [], "authorize_url is required"),
        ({"grant_type": "client_credentials", "token_url": "https://p.example/token"}, [], "needs form fields"),
        ({"grant_type": "password", "token_url": "https://p.example/token"}, ["username"], "['password']"),
    ],
)
def test_a_grant_without_what_it_needs_is_refused(oauth: dict[str, str], fields: list[str], message: str) -> None:
    definition = {"service_id": "x", "name": "X", "unified_api": "crm", "auth_type": "oauth2", "oauth": oauth,
                  "form_fields": [{"id": f, "label": f} for f in fields]}  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        IntegrationDefinition.model_validate(definition)
    assert message in str(refused.value)
