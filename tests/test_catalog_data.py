"""The built-in catalog's data: enough real services, and for every API-key or basic one a
verification request that can only reach the provider's own host with the consumer's values.

The requests are checked as data (no provider is called: they are unreachable from here); the
feature that sends them is tested against a stand-in provider.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.catalog.loader import builtin_definitions
from vaultline.catalog.verification import VerificationRequest

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
SOURCES = Path(__file__).resolve().parents[1] / "docs" / "catalog-sources.md"
DEFINITIONS = builtin_definitions()
VERIFIED = [d for d in DEFINITIONS if d.auth_type in ("apiKey", "basic")]


def template_problems(request: VerificationRequest, field_ids: set[str]) -> list[str]:
    """Where a verification request's placeholders break the rules: only whole DNS labels of the
    host (never its registrable domain), whole path segments, query values, header values and
    basic-auth parts, each naming a form field."""
    problems = []
    parts = urlsplit(request.url)
    if parts.scheme != "https":
        problems.append("not https")
    port = parts.netloc.rpartition(":")[2] if ":" in parts.netloc else ""
    if parts.query or parts.fragment or "@" in parts.netloc or "{" in port:
        problems.append("placeholder or query outside the host and path")
    labels = (parts.hostname or "").split(".")
    for index, label in enumerate(labels):
        if "{" in label or "}" in label:
            if not PLACEHOLDER.fullmatch(label):
                problems.append(f"partial host label {label!r}")
            elif index >= len(labels) - 2:
                problems.append(f"placeholder {label!r} in the registrable domain")
    for segment in parts.path.split("/"):
        stripped = PLACEHOLDER.sub("", segment)
        if "{" in stripped or "}" in stripped:
            problems.append(f"stray brace in path segment {segment!r}")
        elif PLACEHOLDER.search(segment) and not PLACEHOLDER.fullmatch(segment.removesuffix(".json")):
            problems.append(f"placeholder is not a whole path segment: {segment!r}")
    for name in [*request.query, *request.headers]:
        if "{" in name or "}" in name:
            problems.append(f"placeholder in the name {name!r}")
    texts = [request.url, *request.query.values(), *request.headers.values()]
    if request.basic_auth is not None:
        texts += [request.basic_auth.username, request.basic_auth.password]
    for name in {n for text in texts for n in PLACEHOLDER.findall(text)} - field_ids:
        problems.append(f"{{{name}}} names no form field")
    return problems


def placeholders(request: VerificationRequest) -> set[str]:
    texts = [request.url, *request.query.values(), *request.headers.values()]
    if request.basic_auth is not None:
        texts += [request.basic_auth.username, request.basic_auth.password]
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


def host_placeholders(request: VerificationRequest) -> set[str]:
    return {m for label in (urlsplit(request.url).hostname or "").split(".") for m in PLACEHOLDER.findall(label)}


def test_the_catalog_offers_50_real_services_across_6_unified_apis() -> None:
    assert len(DEFINITIONS) >= 50
    assert len({d.unified_api for d in DEFINITIONS}) >= 6
    assert len({d.service_id for d in DEFINITIONS}) == len(DEFINITIONS)
    assert len({d.name.lower() for d in DEFINITIONS}) == len(DEFINITIONS)
    for api in {d.unified_api for d in DEFINITIONS}:  # no unified API is a lone entry
        assert sum(d.unified_api == api for d in DEFINITIONS) >= 2, api


@pytest.mark.parametrize("definition", VERIFIED, ids=lambda d: d.service_id)
def test_every_api_key_and_basic_service_is_verified_with_the_provider(definition: IntegrationDefinition) -> None:
    spec = definition.verification
    assert spec is not None, "an apiKey/basic integration needs a verification request"
    request = spec.request
    fields = {f.id: f for f in definition.form_fields}
    assert template_problems(request, set(fields)) == []
    used = placeholders(request)
    # The request proves the credentials: each one is sent, and every value it needs is required.
    assert set(definition.credential_ids) <= used
    assert all(fields[name].required for name in used)
    assert 401 in spec.rejected and not set(spec.accepted) & set(spec.rejected)
    assert request.method in ("GET", "POST")


@pytest.mark.parametrize("definition", VERIFIED, ids=lambda d: d.service_id)
def test_a_host_setting_can_only_name_a_subdomain_of_the_provider(definition: IntegrationDefinition) -> None:
    assert definition.verification is not None
    for name in host_placeholders(definition.verification.request):
        field = definition.field(name)
        assert field is not None
        if field.options:
            values = [str(option.value) for option in field.options]
            assert all(re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)?", value) for value in values), values
            continue
        assert field.pattern is not None, f"{name} needs a pattern"
        assert re.fullmatch(field.pattern, "acme-corp")
        for steering in ("evil.example", "acme/../x", "acme:443", "acme@evil", "", "-acme"):
            assert not re.fullmatch(field.pattern, steering), steering


def test_oauth_and_none_services_carry_no_verification_request() -> None:
    for definition in DEFINITIONS:
        if definition.auth_type in ("oauth2", "none"):
            assert definition.verification is None, definition.service_id


def test_every_address_in_the_catalog_is_https() -> None:
    for definition in DEFINITIONS:
        urls = [definition.website, definition.logo_url, definition.guide.url if definition.guide else None]
        if definition.oauth is not None:
            urls += [definition.oauth.authorize_url, definition.oauth.token_url, definition.oauth.revoke_url]
        if definition.verification is not None:
            urls.append(definition.verification.request.url)
        for url in filter(None, urls):
            assert urlsplit(str(url)).scheme == "https", (definition.service_id, url)
        assert definition.website and definition.logo_url, definition.service_id


def test_every_service_tells_the_consumer_where_to_find_its_credentials() -> None:
    for definition in VERIFIED:
        assert definition.guide is not None and definition.guide.text, definition.service_id
        guide = definition.guide.text.lower()
        for credential in definition.credential_ids:  # each credential is named in the guide
            field = definition.field(credential)
            assert field is not None
            words = [word for word in re.findall(r"[a-z]{3,}", field.label.lower()) if word != "api"]
            assert any(word in guide for word in words), (definition.service_id, field.label)


def test_every_verification_endpoint_has_its_source_written_down() -> None:
    sources = SOURCES.read_text(encoding="utf-8")
    for definition in VERIFIED:
        assert definition.verification is not None
        host_and_path = re.sub(r"^https://", "", definition.verification.request.url)
        row = next((line for line in sources.splitlines() if line.startswith(f"| {definition.name} |")), None)
        assert row is not None, f"{definition.name} is missing from docs/catalog-sources.md"
        assert host_and_path in row and "http" in row.split(host_and_path, 1)[1], row


def _caught(fields: set[str], complaint: str, **request: Any) -> bool:
    """Caught either by the catalog's own model (it refuses the block when the catalog loads) or
    by this file's stricter placeholder rules, naming ``complaint``."""
    try:
        parsed = VerificationRequest(**request)
    except ValidationError:
        return True
    problems = template_problems(parsed, fields)
    return any(complaint in problem for problem in problems)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://api.example.com/me", "not https"),
        ("https://{host}/me", "registrable domain"),
        ("https://api.{domain}/me", "registrable domain"),
        ("https://api-{region}.example.com/me", "partial host label"),
        ("https://api.example.com/me?key={api_key}", "outside the host and path"),
        ("https://api.example.com/v1/id-{api_key}", "whole path segment"),
        ("https://api.example.com/{nope}/me", "names no form field"),
        ("https://api.example.com/{api_key/me", "stray brace"),
    ],
)
def test_the_placeholder_rules_catch_a_request_that_breaks_them(url: str, complaint: str) -> None:
    assert _caught({"api_key", "host", "domain", "region"}, complaint, url=url)


def test_a_placeholder_in_a_header_name_is_caught() -> None:
    assert _caught(
        {"api_key"}, "placeholder in the name", url="https://api.example.com/me", headers={"X-{api_key}": "1"}
    )
