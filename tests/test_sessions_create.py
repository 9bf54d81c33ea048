"""POST /vault/sessions: the wire contract of PRODUCT.md, bullet by bullet."""

from __future__ import annotations

import copy
import time

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.seed_example import SEED_SESSION_BODY
from tests.support.tenants import Tenant, create_tenant
from vaultline.store.consumers import get_consumer
from vaultline.store.sessions import get_session


async def create(client: httpx.AsyncClient, tenant: Tenant, body: object = None, **kwargs: object) -> httpx.Response:
    headers = kwargs.pop("headers", None) or tenant.headers()
    if body is None:
        return await client.post("/vault/sessions", headers=headers)  # type: ignore[arg-type]
    return await client.post("/vault/sessions", headers=headers, json=body)  # type: ignore[arg-type]


def claims_of(response: httpx.Response) -> dict[str, object]:
    token = response.json()["data"]["session_token"]
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


async def test_seed_body_returns_200_with_exact_shape(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, SEED_SESSION_BODY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status_code", "status", "data"}
    assert body["status_code"] == 200 and body["status"] == "OK"
    assert set(body["data"]) == {"session_uri", "session_token"}
    assert body["data"]["session_uri"] == f"http://vault.test/session/{body['data']['session_token']}"
    assert "message" not in body
    assert response.headers["cache-control"] == "no-store"


async def test_claims_carry_the_session_body_and_standard_claims(client: httpx.AsyncClient, tenant: Tenant) -> None:
    before = int(time.time())
    claims = claims_of(await create(client, tenant, SEED_SESSION_BODY))
    assert claims["application_id"] == tenant.application_id
    assert claims["consumer_id"] == claims["sub"] == "test-consumer"
    assert claims["consumer_metadata"] == SEED_SESSION_BODY["consumer_metadata"]
    assert claims["redirect_uri"] == "https://mysaas.com/dashboard"
    assert claims["theme"] == SEED_SESSION_BODY["theme"]
    settings = claims["settings"]
    assert isinstance(settings, dict)
    assert settings["unified_apis"] == ["crm"]  # de-duplicated
    assert settings["allow_actions"] == ["reauthorize", "disable"]
    assert settings["show_sidebar"] is False and settings["hide_consumer_card"] is False
    assert claims["iss"] == "http://vault.test" and claims["aud"] == "vaultline-session"
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 20
    iat, exp = claims["iat"], claims["exp"]
    assert isinstance(iat, int) and isinstance(exp, int)
    assert before <= iat <= int(time.time()) and exp - iat == 30 * 60
    assert "custom_consumer_settings" not in claims


async def test_header_has_kid_and_eddsa(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    token = (await create(client, tenant)).json()["data"]["session_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == app.state.runtime.keyring.signing_key.kid


async def test_empty_post_without_content_type_uses_defaults(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post("/vault/sessions", headers=tenant.headers(), content=b"")
    assert response.status_code == 200
    claims = claims_of(response)
    assert claims["exp"] - claims["iat"] == 3600  # type: ignore[operator]
    assert claims["settings"] == {
        "unified_apis": [],
        "hide_resource_settings": False,
        "sandbox_mode": False,
        "isolation_mode": False,
        "session_length": "1h",
        "show_logs": True,
        "show_suggestions": False,
        "show_sidebar": True,
        "auto_redirect": False,
        "hide_guides": False,
        "hide_consumer_card": False,
        "allow_actions": ["delete", "disconnect", "reauthorize", "disable"],
    }
    assert claims["consumer_metadata"] == {} and claims["theme"] == {} and "redirect_uri" not in claims


async def test_empty_json_object_and_explicit_nulls_are_defaults(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert (await create(client, tenant, {})).status_code == 200
    body = {"redirect_uri": None, "settings": {"session_length": None, "unified_apis": None}, "theme": None}
    response = await create(client, tenant, body)
    assert response.status_code == 200
    assert claims_of(response)["exp"] - claims_of(response)["iat"] == 3600  # type: ignore[operator]


@pytest.mark.parametrize("bearer", [True, False], ids=["bearer", "bare"])
async def test_api_key_with_or_without_bearer(client: httpx.AsyncClient, tenant: Tenant, bearer: bool) -> None:
    assert (await create(client, tenant, headers=tenant.headers(bearer=bearer))).status_code == 200


async def test_header_names_are_case_insensitive(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {
        "AUTHORIZATION": f"bearer {tenant.api_key}",
        "X-APIDECK-APP-ID": tenant.application_id,
        "X-Apideck-Consumer-Id": "c9",
    }
    response = await client.post("/vault/sessions", headers=headers)
    assert response.status_code == 200
    assert claims_of(response)["consumer_id"] == "c9"


async def test_app_id_header_is_optional_but_must_match(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.headers()
    del headers["x-apideck-app-id"]
    assert (await client.post("/vault/sessions", headers=headers)).status_code == 200
    headers["x-apideck-app-id"] = "app_someone_else"
    response = await client.post("/vault/sessions", headers=headers)
    assert response.status_code == 401
    assert response.json()["status_code"] == 401


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer null", "Bearer undefined", "vl_live_wrong", "Bearer vl_live_wrong"]
)
async def test_missing_or_wrong_api_key_is_401(
    client: httpx.AsyncClient, tenant: Tenant, authorization: str | None
) -> None:
    headers = tenant.headers()
    del headers["Authorization"]
    if authorization is not None:
        headers["Authorization"] = authorization
    response = await client.post("/vault/sessions", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == 401 and body["type_name"] == "UnauthorizedError"
    assert set(body) == {"status_code", "error", "type_name", "message", "detail", "ref"}


async def test_browser_style_broken_call_is_401_not_500(client: httpx.AsyncClient) -> None:
    headers = {
        "Authorization": "Bearer null",
        "x-apideck-app-id": "undefined",
        "x-apideck-consumer-id": "undefined",
        "Content-Type": "application/json",
    }
    response = await client.post("/vault/sessions", headers=headers)
    assert response.status_code == 401 and response.json()["status_code"] == 401


async def test_consumer_header_required(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await create(client, tenant, headers=tenant.headers(consumer_id=None))
    assert response.status_code == 400
    assert "x-apideck-consumer-id" in response.json()["message"]


async def test_consumer_is_upserted_with_metadata(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    await create(client, tenant, SEED_SESSION_BODY)
    engine = app.state.runtime.engine
    async with engine.connect() as connection:
        consumer = await get_consumer(connection, application_id=tenant.application_id, consumer_id="test-consumer")
    assert consumer is not None and consumer.metadata["account_name"] == "SpaceX"
    # A later session without metadata keeps it; one with new metadata replaces it.
    await create(client, tenant, {})
    async with engine.connect() as connection:
        consumer = await get_consumer(connection, application_id=tenant.application_id, consumer_id="test-consumer")
    assert consumer is not None and consumer.metadata["user_name"] == "Elon Musk"
    await create(client, tenant, {"consumer_metadata": {"account_name": "SpaceX Inc"}})
    async with engine.connect() as connection:
        consumer = await get_consumer(connection, application_id=tenant.application_id, consumer_id="test-consumer")
    assert consumer is not None and consumer.metadata == {"account_name": "SpaceX Inc"}


async def test_session_is_recorded_before_the_answer(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    claims = claims_of(await create(client, tenant, SEED_SESSION_BODY))
    async with app.state.runtime.engine.connect() as connection:
        record = await get_session(connection, session_id=str(claims["jti"]))
    assert record is not None
    assert record.consumer_id == "test-consumer" and record.redirect_uri == "https://mysaas.com/dashboard"
    assert record.expires_at == claims["exp"] * 1000  # type: ignore[operator]


@pytest.mark.parametrize(
    ("length", "seconds"),
    [
        ("30m", 1800),
        ("1h", 3600),
        ("24h", 86400),
        ("7d", 604800),
        ("1w", 604800),
        ("90s", 90),
        ("1h30m", 5400),
        (" 2 hours ", 7200),
        ("1.5h", 5400),
    ],
)
async def test_session_length_forms(client: httpx.AsyncClient, tenant: Tenant, length: str, seconds: int) -> None:
    claims = claims_of(await create(client, tenant, {"settings": {"session_length": length}}))
    assert claims["exp"] - claims["iat"] == seconds  # type: ignore[operator]


@pytest.mark.parametrize("length", ["8d", "2w", "169h", "0h", "-1h", "0m"])
async def test_session_length_out_of_range_is_422(client: httpx.AsyncClient, tenant: Tenant, length: str) -> None:
    response = await create(client, tenant, {"settings": {"session_length": length}})
    assert response.status_code == 422
    assert "session_length" in response.json()["message"]


@pytest.mark.parametrize("length", ["soon", "1 fortnight", "h", "", "1h x", "P1D"])
async def test_session_length_unparseable_is_400(client: httpx.AsyncClient, tenant: Tenant, length: str) -> None:
    response = await create(client, tenant, {"settings": {"session_length": length}})
    assert response.status_code == 400
    assert "session_length" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"setings": {}}, "setings"),
        ({"settings": {"show_sidebar": True, "sidebar": True}}, "settings.sidebar"),
        ({"theme": {"primary_colour": "#fff"}}, "theme.primary_colour"),
        ({"consumer_metadata": {"name": "x"}}, "consumer_metadata.name"),
    ],
)
async def test_unknown_key_is_400_naming_it(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object], key: str
) -> None:
    response = await create(client, tenant, body)
    assert response.status_code == 400
    assert f"'{key}'" in response.json()["message"]


@pytest.mark.parametrize(
    "theme",
    [
        {"primary_color": "red"},
        {"primary_color": "#12345"},
        {"sidepanel_text_color": "#fff; background:url(x)"},
        {"sidepanel_background_color": "rgb(0,0,0)"},
        {"logo": "javascript:alert(1)"},
        {"favicon": "data:image/png;base64,AAAA"},
        {"privacy_url": "/relative"},
        {"terms_url": "ftp://example.com/terms"},
    ],
)
async def test_theme_values_are_validated(client: httpx.AsyncClient, tenant: Tenant, theme: dict[str, str]) -> None:
    response = await create(client, tenant, {"theme": theme})
    assert response.status_code == 400
    assert next(iter(theme)) in response.json()["message"]


@pytest.mark.parametrize("color", ["#fff", "#FFFF", "#286efa", "#286efa80"])
async def test_hex_colour_forms_accepted(client: httpx.AsyncClient, tenant: Tenant, color: str) -> None:
    assert (await create(client, tenant, {"theme": {"primary_color": color}})).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"settings": {"show_sidebar": "yes"}},
        {"settings": {"unified_apis": ["not-an-api"]}},
        {"settings": {"allow_actions": ["explode"]}},
        {"settings": []},
        {"consumer_metadata": {"image": "not a url"}},
        {"custom_consumer_settings": "text"},
        [],
        "just a string",
    ],
)
async def test_wrong_types_are_400(client: httpx.AsyncClient, tenant: Tenant, body: object) -> None:
    response = await create(client, tenant, body)
    assert response.status_code == 400
    assert response.json()["type_name"] == "RequestValidationError"


async def test_redirect_uri_must_be_http(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for uri in ["javascript:alert(1)", "mysaas.com/dashboard", "ftp://mysaas.com"]:
        response = await create(client, tenant, {"redirect_uri": uri})
        assert response.status_code == 422, uri


async def test_redirect_uri_checked_against_allowlist(client: httpx.AsyncClient, app: FastAPI) -> None:
    strict = await create_tenant(app, name="Strict", redirect_origins=("https://mysaas.com",))
    assert (await create(client, strict, {"redirect_uri": "https://mysaas.com/dashboard?x=1"})).status_code == 200
    assert (await create(client, strict, {"redirect_uri": "https://MYSAAS.com:443/other"})).status_code == 200
    for uri in ["https://evil.com/dashboard", "http://mysaas.com/dashboard", "https://mysaas.com.evil.com/"]:
        response = await create(client, strict, {"redirect_uri": uri})
        assert response.status_code == 422, uri
        assert response.json()["detail"] == {"allowed_origins": ["https://mysaas.com"]}


async def test_no_allowlist_means_any_http_redirect(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert (await create(client, tenant, {"redirect_uri": "https://anything.example/x"})).status_code == 200


async def test_malformed_json_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {**tenant.headers(), "Content-Type": "application/json"}
    response = await client.post("/vault/sessions", headers=headers, content=b'{"settings": ')
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["message"]


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {**tenant.headers(), "Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post("/vault/sessions", headers=headers, content=b"a=b")
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


async def test_oversized_body_is_413(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = copy.deepcopy(SEED_SESSION_BODY)
    body["custom_consumer_settings"] = {"blob": "x" * 70_000}
    response = await create(client, tenant, body)
    assert response.status_code == 413
    assert response.json()["status_code"] == 413


async def test_oversized_streamed_body_is_413(client: httpx.AsyncClient, tenant: Tenant) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 8192

    headers = {**tenant.headers(), "Content-Type": "application/json"}
    response = await client.post("/vault/sessions", headers=headers, content=chunks())
    assert response.status_code == 413
