"""Asking the provider whether credentials work: the integration's ``verification`` request,
sent once through the network guard, without following redirects, within the timeout.

    accepted     an accepted status (any 2xx unless the block lists them)
    rejected     a rejected status (401, 403 unless listed): the credentials are wrong;
                 ``message`` is the provider's own words, shortened, credentials stripped
    unreachable  no answer, a refused address, 429, 5xx or any other status: proves nothing
                 either way, so the connection is not condemned and is asked again later
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import orjson

from vaultline import __version__
from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.catalog.verification import RenderedRequest, UnusableValue, VerificationSpec, dotted, render_request
from vaultline.config import Settings
from vaultline.i18n.markers import N_
from vaultline.log_escape import escape_for_log
from vaultline.net_guard import UnresolvableHost, UnsafeUrl, check_public_url

log = logging.getLogger(__name__)

MAX_MESSAGE = 200
_MAX_BODY = 64 * 1024
# Where providers usually put their words when the block names no path.
_USUAL_MESSAGE_PATHS = ("message", "error_description", "error.message", "error", "errors.0.message", "detail")
_SPACES = re.compile(r"\s+")
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\uffff]|[\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")

Verdict = Literal["accepted", "rejected", "unreachable"]


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    verdict: Verdict
    status_code: int | None
    # rejected: the provider's message for the consumer; unreachable: why, for the operator.
    message: str | None = None
    field_id: str | None = None  # a refusal caused by one form value (a host label), for the form

    @property
    def reason(self) -> str:
        return self.message or (f"HTTP {self.status_code}" if self.status_code else "no answer")


def rejection_text(definition: IntegrationDefinition, answer: ProviderAnswer) -> str:
    """What a connection's ``validation_error`` says after a refusal."""
    if answer.field_id is not None:
        return answer.message or "invalid value"
    if answer.message:
        return f"{definition.name} refused the credentials: {answer.message}"
    return f"{definition.name} refused the credentials (HTTP {answer.status_code})"


def clean_message(text: str, secrets: tuple[str, ...]) -> str | None:
    """The provider's message as safe to show and store: every credential value it echoes
    removed, no control characters, one line, at most ~200 characters."""
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, "[redacted]")
    text = _SPACES.sub(" ", _NOT_PRINTABLE.sub(" ", text)).strip()
    if not text:
        return None
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1].rstrip() + "…"


def provider_message(spec: VerificationSpec, body: bytes, secrets: tuple[str, ...]) -> str | None:
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # an HTML login page says nothing the consumer can use
    paths = (spec.error_message,) if spec.error_message else _USUAL_MESSAGE_PATHS
    for path in paths:
        for value in dotted(parsed, path):
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return clean_message(str(value), secrets)
    return None


async def _read_some(response: httpx.Response) -> bytes:
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= _MAX_BODY:
            break
    return body[:_MAX_BODY]


async def _send(request: RenderedRequest, settings: Settings) -> tuple[int, bytes]:
    headers = {"User-Agent": f"Vaultline/{__version__} (credential check)", **request.headers}
    timeout = httpx.Timeout(settings.verification_timeout_seconds)
    async with (
        httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as http,
        http.stream(
            request.method,
            request.url,
            params=request.params or None,
            headers=headers,
            auth=request.basic_auth,
        ) as response,
    ):
        return response.status_code, await _read_some(response)


async def ask_provider(definition: IntegrationDefinition, values: dict[str, Any], settings: Settings) -> ProviderAnswer:
    """Send ``definition``'s verification request made of ``values`` (the form values) once."""
    spec = definition.verification
    if spec is None:
        raise ValueError(f"{definition.service_id} has no verification request")
    try:
        request = render_request(spec, values, options=definition.host_options)
    except UnusableValue as exc:
        form_field = definition.field(exc.field_id)
        label = form_field.label if form_field else exc.field_id
        return ProviderAnswer("rejected", None, f"{label} {exc.reason}", field_id=exc.field_id)
    try:
        await check_public_url(request.url, allow_private=settings.allow_private_webhooks)
        status, body = await _send(request, settings)
    except UnresolvableHost:
        # Often passing (DNS), so not a refusal: the background verifier asks again later.
        return ProviderAnswer("unreachable", None, N_("the provider's host name does not resolve"))
    except UnsafeUrl as exc:
        log.warning("verification of %s refused by the network guard: %s", definition.service_id, exc)
        return ProviderAnswer("unreachable", None, N_("the provider's address is not allowed by this server"))
    except httpx.TimeoutException:
        return ProviderAnswer("unreachable", None, f"no answer within {settings.verification_timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        # Only the kind of failure: the exception's text can carry the URL, and a URL can carry
        # a credential (Pipedrive's api_token).
        log.info("verification of %s: %s", definition.service_id, type(exc).__name__)
        return ProviderAnswer("unreachable", None, N_("could not connect"))
    if spec.accepts(status):
        return ProviderAnswer("accepted", status)
    if spec.rejects(status):
        return ProviderAnswer("rejected", status, provider_message(spec, body, request.secrets))
    if 300 <= status < 400:
        return ProviderAnswer("unreachable", status, f"HTTP {status} (a redirect, not followed)")
    log.info(
        "verification of %s: the provider answered %d (%s)",
        definition.service_id,
        status,
        escape_for_log(provider_message(spec, body, request.secrets) or "no message"),
    )
    return ProviderAnswer("unreachable", status, f"HTTP {status}")
