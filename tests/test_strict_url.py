"""URLs that browsers and Python could read as different hosts are refused at every entry
point (a 422 naming the field at mint), and never rendered from tokens minted before.

The probe's attack: ``https://evil.com\\@mysaas.com/back`` passed the allowlist of an app whose
redirect origin is https://mysaas.com (``urlsplit`` sees mysaas.com), while Chromium goes to
evil.com. tests/browser/test_url_parsing.py checks the same forms in Chromium itself.
"""

from __future__ import annotations

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.support.connections import offer
from tests.support.hosted import SAME_ORIGIN
from tests.support.live_server import create_app_via_cli, env_for, run_cli
from tests.support.tenants import Tenant, create_tenant
from tests.support.urls import ALLOWED_ORIGIN, AMBIGUOUS_FORMS, ATTACK, BROWSER_EQUIVALENT_FORMS
from vaultline.catalog.definitions import FormField, IntegrationDefinition
from vaultline.config import Settings
from vaultline.connections.settings import merge_settings
from vaultline.errors import BadRequest
from vaultline.fields import UnifiedApiId
from vaultline.net_guard import UnsafeUrl, check_public_url
from vaultline.runtime import Runtime
from vaultline.strict_url import AmbiguousUrl, NotHttpUrl, parse_strict_url
from vaultline.tokens.session_tokens import mint_session_token


@pytest.fixture
async def strict(app: FastAPI) -> Tenant:
    return await create_tenant(app, name="Strict", redirect_origins=(ALLOWED_ORIGIN,))


async def mint(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object]) -> httpx.Response:
    return await client.post("/vault/sessions", headers=tenant.headers(), json=body)


def test_the_strict_parser_reads_hosts_as_browsers_do() -> None:
    assert parse_strict_url("HTTPS://MySaaS.com:443/back?x=1#y").origin == "https://mysaas.com"
    assert parse_strict_url("http://[::ffff:127.0.0.1]:8080/").origin == "http://[::ffff:7f00:1]:8080"
    assert parse_strict_url("https://xn--caf-dma.example/").host == "xn--caf-dma.example"
    with pytest.raises(AmbiguousUrl, match="backslash"):
        parse_strict_url(ATTACK)
    for not_http in ("javascript:alert(1)", "/relative", "ftp://mysaas.com/", "mysaas.com/back", ""):
        with pytest.raises(NotHttpUrl):
            parse_strict_url(not_http)


@pytest.mark.parametrize(("uri", "reason"), AMBIGUOUS_FORMS)
async def test_backslash_redirect_uri_is_refused_at_mint(
    client: httpx.AsyncClient, strict: Tenant, uri: str, reason: str
) -> None:
    response = await mint(client, strict, {"redirect_uri": uri})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"].startswith("redirect_uri ") and reason in body["message"], body["message"]
    assert body["detail"] == {"redirect_uri": uri}
    for equivalent in BROWSER_EQUIVALENT_FORMS:
        assert (await mint(client, strict, {"redirect_uri": equivalent})).status_code == 200, equivalent


URL_FIELDS = [
    ("theme", "logo"),
    ("theme", "favicon"),
    ("theme", "privacy_url"),
    ("theme", "terms_url"),
    ("consumer_metadata", "image"),
]


@pytest.mark.parametrize(("uri", "reason"), AMBIGUOUS_FORMS)
async def test_ambiguous_theme_and_image_urls_are_refused_at_mint(
    client: httpx.AsyncClient, tenant: Tenant, uri: str, reason: str
) -> None:
    for section, field in URL_FIELDS:
        response = await mint(client, tenant, {section: {field: uri}})
        assert response.status_code == 422, (section, field, response.text)
        body = response.json()
        where = f"{section}.{field}"
        assert body["message"].startswith(f"{where} ") and reason in body["message"], body["message"]
        assert [problem["location"] for problem in body["detail"]["errors"]] == [where]
        accepted = await mint(client, tenant, {section: {field: BROWSER_EQUIVALENT_FORMS[1]}})
        assert accepted.status_code == 200, accepted.text


async def test_a_wrong_kind_of_url_stays_a_400_and_mixed_problems_are_listed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert (await mint(client, tenant, {"theme": {"logo": "javascript:alert(1)"}})).status_code == 400
    mixed = await mint(client, tenant, {"theme": {"logo": ATTACK, "primary_color": "red"}})
    assert mixed.status_code == 400
    assert {problem["location"] for problem in mixed.json()["detail"]["errors"]} == {
        "theme.logo",
        "theme.primary_color",
    }


async def test_ambiguous_consumer_image_is_refused_by_the_consumers_api(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {"consumer_id": "c-img", "metadata": {"image": ATTACK}}
    response = await client.post("/vault/consumers", headers=tenant.headers(None), json=body)
    assert response.status_code == 422 and response.json()["message"].startswith("metadata.image ")


async def token_minted_before_the_fix(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, **claims: object) -> str:
    """A genuine session's token carrying ``claims``, as a server without today's URL rules
    would have signed it: same session id, so the session row exists."""
    response = await mint(client, tenant, {"settings": {"auto_redirect": True}})
    assert response.status_code == 200, response.text
    genuine = jwt.decode(response.json()["data"]["session_token"], options={"verify_signature": False})
    runtime: Runtime = app.state.runtime
    token, _ = mint_session_token(runtime.keyring, {**genuine, **claims})
    return token


STALE_CLAIMS = {
    "redirect_uri": ATTACK,
    "theme": {
        "logo": "https://evil.com\\@cdn.mysaas.com/logo.png",
        "favicon": "https://evil.com\\@cdn.mysaas.com/favicon.ico",
        "privacy_url": "https://evil.com\\@mysaas.com/privacy",
        "terms_url": "https://evil.com\\@mysaas.com/terms",
    },
    "consumer_metadata": {"account_name": "Acme", "image": "https://evil.com\\@cdn.mysaas.com/me.png"},
}


async def test_hosted_pages_never_link_to_evil_com_from_an_old_token(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await token_minted_before_the_fix(app, client, tenant, **STALE_CLAIMS)
    opened = await client.get(f"/session/{token}")
    assert opened.status_code == 303, opened.text
    page = await client.get(opened.headers["location"], follow_redirects=True)
    assert page.status_code == 200 and "Acme" in page.text  # the page itself still works
    assert "evil.com" not in page.text and "Return to application" not in page.text


async def test_error_page_never_links_to_evil_com(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    token = await token_minted_before_the_fix(app, client, tenant, **STALE_CLAIMS)
    opened = await client.get(f"/session/{token}")
    session_id = opened.headers["location"].split("/")[2]
    revoked = await client.delete(f"/vault/sessions/{session_id}", headers=tenant.headers(None))
    assert revoked.status_code == 200, revoked.text
    for error_page in (
        await client.get(opened.headers["location"], follow_redirects=True),  # the cookie of a revoked session
        await client.get(f"/session/{token}"),  # the link itself, used again
    ):
        assert error_page.status_code == 401 and "has been ended" in error_page.text, error_page.text
        assert "evil.com" not in error_page.text and "Return to application" not in error_page.text


async def test_auto_redirect_never_goes_to_evil_com(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant, ["pipedrive"])
    token = await token_minted_before_the_fix(app, client, tenant, redirect_uri=ATTACK)
    opened = await client.get(f"/session/{token}")
    base = "/".join(opened.headers["location"].split("/")[:3])
    form = {"api_token": "0123456789abcdef0123456789abcdef01234567"}
    posted = await client.post(f"{base}/integrations/crm/pipedrive/connect", data=form, headers=SAME_ORIGIN)
    assert posted.status_code == 303, posted.text
    page = await client.get(posted.headers["location"])
    assert page.status_code == 200 and "Connected." in page.text, page.text
    assert "evil.com" not in page.text and "data-auto-redirect" not in page.text


@pytest.mark.parametrize(
    "origin",
    ["https://evil.com\\@mysaas.com", "https://user@mysaas.com", " https://mysaas.com", "https://mysaas.com\t"],
)
def test_ambiguous_origin_is_refused_by_apps_create(settings: Settings, origin: str) -> None:
    env = env_for(settings)
    for option in ("--redirect-origin", "--embed-origin"):
        result = run_cli(env, "apps", "create", "--name", "X", option, origin, check=False)
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr and repr(origin) in result.stderr, result.stderr
    assert create_app_via_cli(env, "Fine", "--redirect-origin", "HTTPS://MySaaS.com:443")["redirect_origins"] == [
        ALLOWED_ORIGIN
    ]


@pytest.mark.parametrize("url", ["http://10.0.0.1\\@93.184.215.14/hook", "http://u@93.184.215.14\\@10.0.0.1/hook"])
async def test_webhook_url_with_a_backslash_is_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="backslash"):
        await check_public_url(url, allow_private=False)
    await check_public_url("http://93.184.215.14/hook", allow_private=False)


def test_apps_webhook_refuses_a_backslash_url(settings: Settings) -> None:
    env = env_for(settings, VAULTLINE_ALLOW_PRIVATE_WEBHOOKS="true")
    app_id = create_app_via_cli(env, "Hooks")["application_id"]
    refused = run_cli(env, "apps", "webhook", app_id, "--url", "http://evil.example\\@127.0.0.1:9/hook", check=False)
    assert refused.returncode == 1 and "backslash" in refused.stderr, refused.stderr


def test_url_setting_with_a_backslash_is_refused() -> None:
    definition = IntegrationDefinition(
        service_id="self-hosted-crm",
        name="Self-hosted CRM",
        unified_api=UnifiedApiId.CRM,
        auth_type="apiKey",
        form_fields=(
            FormField(id="api_key", label="API key", type="password", sensitive=True),
            FormField(id="instance_url", label="Instance URL", type="url"),
        ),
    )
    with pytest.raises(BadRequest, match=r"settings\.instance_url must not contain a backslash"):
        merge_settings(definition, {}, {"instance_url": ATTACK})
    assert merge_settings(definition, {}, {"instance_url": "HTTPS://crm.example:443/"}) == {
        "instance_url": "HTTPS://crm.example:443/"
    }


def test_public_url_with_a_backslash_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="VAULTLINE_PUBLIC_URL must not contain a backslash"):
        Settings(public_url="https://evil.com\\@vault.mysaas.com")
    assert Settings(public_url="https://vault.mysaas.com/").public_url == "https://vault.mysaas.com"
