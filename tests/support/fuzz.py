"""Shared pieces of the schemathesis fuzz tests: sending a generated case through the in-process
app, the auth variants a client may send, and the oracle for Vaultline's error shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
import hypothesis
import requests
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.core import NotSet

from tests.support.tenants import Tenant

_MAX_SENDABLE_URL = 65_536  # httpx refuses longer URLs (InvalidURL "URL too long")
ERROR_KEYS = {"status_code", "error", "type_name", "message", "detail", "ref"}

# Most cases carry valid credentials so they reach the handlers; the rest probe the auth layer.
AUTH_VARIANTS = ("valid",) * 6 + ("bare", "missing", "garbage", "browser-null", "other-app")


def auth_headers(variant: str, tenant: Tenant) -> dict[str, str | None]:
    """Headers to lay over a generated case; ``None`` removes a header the case carries."""
    valid = {"Authorization": f"Bearer {tenant.api_key}", "x-apideck-app-id": tenant.application_id}
    if variant == "valid":
        return dict(valid)
    if variant == "bare":
        return {**valid, "Authorization": tenant.api_key}
    if variant == "missing":
        return {"Authorization": None, "x-apideck-app-id": None}
    if variant == "garbage":
        return {"Authorization": "Bearer vl_live_not-a-real-key", "x-apideck-app-id": tenant.application_id}
    if variant == "browser-null":
        return {"Authorization": "Bearer null", "x-apideck-app-id": "undefined", "Content-Type": "application/json"}
    if variant == "other-app":
        return {**valid, "x-apideck-app-id": "app_someone_else"}
    raise AssertionError(variant)


auth_variants = st.sampled_from(AUTH_VARIANTS)


def _header_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


async def send_case(
    client: httpx.AsyncClient, case: Case, overrides: dict[str, str | None]
) -> tuple[httpx.Response, dict[str, str]]:
    """Send ``case`` as schemathesis would put it on the wire (``requests`` prepares the exact
    URL, headers and body bytes), through the in-process ASGI client. Returns the response and
    the headers sent, for the checks."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url=str(client.base_url))
    headers = {name: value for name, value in kwargs.get("headers", {}).items()}
    for name, value in overrides.items():
        for existing in [key for key in headers if key.lower() == name.lower()]:
            del headers[existing]
        if value is not None:
            headers[name] = value
    kwargs["headers"] = {}
    prepared = requests.Request(**{key: value for key, value in kwargs.items() if key != "cookies"}).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body or b""
    for name, value in prepared.headers.items():  # Content-Type/Content-Length chosen by the serializer
        if not any(key.lower() == name.lower() for key in headers):
            headers[name] = value
    raw_headers = [(_header_bytes(name), _header_bytes(value)) for name, value in headers.items()]
    assert prepared.method is not None and prepared.url is not None
    # Three 4 KB query values of multi-byte characters, percent-encoded, can pass httpx's URL limit
    # (64 KB): no client can send that request (and `vaultline serve` would answer 431), so drop it.
    hypothesis.assume(len(prepared.url) <= _MAX_SENDABLE_URL)
    response = await client.request(prepared.method, prepared.url, headers=raw_headers, content=body)
    return response, headers


def assert_error_shape(response: httpx.Response) -> None:
    """Every error is ``{status_code, error, type_name, message, detail, ref}`` in JSON, with the
    HTTP status repeated in the body, and never a stack trace."""
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and set(body) == ERROR_KEYS, body
    assert body["status_code"] == response.status_code, body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["type_name"], str) and isinstance(body["error"], str), body
    assert isinstance(body["detail"], str | dict) and isinstance(body["ref"], str), body
    assert "Traceback" not in response.text, response.text


def assert_success_shape(response: httpx.Response) -> None:
    """A Vault API success is the envelope without a top-level ``message``."""
    body = response.json()
    assert isinstance(body, dict), body
    if response.url.path.startswith("/vault/"):
        assert body.get("status_code") == response.status_code, body
        assert "message" not in body, body


# Routes a person's browser follows (the OAuth round trip): their errors are friendly pages.
BROWSER_PAGES = ("/vault/authorize/", "/vault/callback", "/vault/revoke/", "/vault/oauth/disconnect/")


def assert_friendly_page(response: httpx.Response) -> None:
    """An error a person sees is an HTML page in our layout, never a stack trace or raw JSON."""
    assert response.headers.get("content-type", "").startswith("text/html"), response.headers
    assert "<html" in response.text and "Traceback" not in response.text, response.text
    assert "default-src 'none'" in response.headers.get("content-security-policy", ""), response.headers


def assert_wire_contract(response: httpx.Response) -> None:
    # 501 is UnsupportedOperationError: an answer, not a crash (and it must have the error shape).
    assert response.status_code < 500 or response.status_code == 501, f"{response.status_code}: {response.text}"
    server_to_server = response.request.method == "POST" and response.url.path.startswith("/vault/oauth/disconnect/")
    if response.url.path.startswith(BROWSER_PAGES) and not server_to_server:
        if response.status_code >= 400:
            assert_friendly_page(response)
        return
    if response.status_code >= 400:
        assert_error_shape(response)
    else:
        assert_success_shape(response)


def describe(case: Case, response: httpx.Response, headers: dict[str, str]) -> str:
    body: Any = None if isinstance(case.body, NotSet) else case.body
    try:
        shown = json.dumps(body)[:500]
    except (TypeError, ValueError):
        shown = repr(body)[:500]
    return (
        f"{case.method} {response.request.url} headers={headers} body={shown}"
        f" -> {response.status_code} {response.text[:500]}"
    )
