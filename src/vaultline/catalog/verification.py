"""An integration's ``verification`` block: the provider's cheap, read-only request that proves
API-key or basic credentials, and rendering it with a connection's form values.

A ``{field_id}`` placeholder may stand for a whole DNS label of the host, or sit in the path
(its value percent-encoded as one segment), a query value, a header value or a basic-auth
part; never in the scheme, the port or part of a host label. A host value must itself be one
DNS label (or one of the field's options), so a subdomain or region setting cannot steer the
request to another host. Checked at catalog load; rendering re-checks the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vaultline.strict_url import InvalidUrl, parse_strict_url

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")
_ANY_BRACE = re.compile(r"[{}]")
_HOST_VALUE = re.compile(r"[A-Za-z0-9-]{1,63}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# Stands in for a host placeholder while the template's shape is checked at load.
_SAMPLE_LABEL = "placeholder"
DEFAULT_REJECTED = (401, 403)


class UnusableValue(ValueError):
    """A form value cannot be put where the verification request needs it (``field_id`` says which)."""

    def __init__(self, field_id: str, reason: str) -> None:
        super().__init__(f"{field_id}: {reason}")
        self.field_id = field_id
        self.reason = reason


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasicAuthTemplate(_Block):
    username: str = Field(max_length=1024)
    password: str = Field(default="", max_length=1024)


class VerificationRequest(_Block):
    method: Literal["GET", "HEAD", "POST"] = "GET"
    url: str = Field(max_length=2048)
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    basic_auth: BasicAuthTemplate | None = None

    @field_validator("url")
    @classmethod
    def _placeholders_only_in_host_labels_and_path(cls, url: str) -> str:
        _check_url_template(url)
        return url

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a header name (placeholders go in header values only)")
            if _CONTROL_CHARS.search(value):
                raise ValueError(f"header {name!r} has control characters")
        return headers

    @field_validator("query")
    @classmethod
    def _query_names(cls, query: dict[str, str]) -> dict[str, str]:
        for name in query:
            if not name or _ANY_BRACE.search(name):
                raise ValueError(f"query parameter name {name!r}: placeholders go in values only")
        return query

    def placeholders(self) -> set[str]:
        texts = [self.url, *self.query.values(), *self.headers.values()]
        if self.basic_auth is not None:
            texts += [self.basic_auth.username, self.basic_auth.password]
        return {name for text in texts for name in PLACEHOLDER.findall(text)}

    def shown_address(self) -> tuple[str, str]:
        """The origin and path as written in the catalog (placeholders not filled in): what a
        log may show of the request without showing any form value."""
        origin, path, _ = _split_url(self.url)
        return origin, path or "/"

    def host_placeholders(self) -> set[str]:
        return {name for label in _host_labels(self.url) for name in PLACEHOLDER.findall(label)}


class VerificationSpec(_Block):
    """The ``verification`` block of an integration definition."""

    request: VerificationRequest
    accepted: tuple[int, ...] = ()  # empty: any 2xx
    rejected: tuple[int, ...] = DEFAULT_REJECTED
    # A dotted path into a JSON refusal body to the provider's own message ("errors.0.message").
    error_message: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")

    @model_validator(mode="after")
    def _statuses(self) -> VerificationSpec:
        for status in (*self.accepted, *self.rejected):
            if not 100 <= status <= 599:
                raise ValueError(f"{status} is not an HTTP status")
        both = set(self.accepted) & set(self.rejected)
        if both:
            raise ValueError(f"statuses {sorted(both)} are both accepted and rejected")
        return self

    def accepts(self, status: int) -> bool:
        return status in self.accepted if self.accepted else 200 <= status < 300

    def rejects(self, status: int) -> bool:
        return status in self.rejected


def _split_url(url: str) -> tuple[str, str, str]:
    """``scheme://authority``, the path and ``?query`` of a URL template, without parsing placeholders."""
    match = re.fullmatch(r"(https?://)([^/?#]*)([^?#]*)(\?[^#]*)?", url)
    if match is None:
        raise ValueError("url must be an absolute http(s) URL without a fragment")
    return match.group(1) + match.group(2), match.group(3), match.group(4) or ""


def _host_labels(url: str) -> list[str]:
    try:
        origin, _, _ = _split_url(url)
    except ValueError:
        return []
    authority = origin.split("://", 1)[1]
    host = authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority
    return host.split(".")


def _check_url_template(url: str) -> None:
    origin, path, query = _split_url(url)
    scheme, authority = origin.split("://", 1)
    if _ANY_BRACE.search(query):
        raise ValueError("url: no placeholders in its query string; use the query block")
    labels = _host_labels(url)
    host = ".".join(labels)
    if _ANY_BRACE.search(authority.removeprefix(host)):
        raise ValueError("url: a placeholder may not stand for the port or user info")
    for label in labels:
        if _ANY_BRACE.search(label) and not PLACEHOLDER.fullmatch(label):
            raise ValueError(f"url: a host placeholder must be a whole DNS label, not part of {label!r}")
    if _ANY_BRACE.search(PLACEHOLDER.sub("", path)):
        raise ValueError("url: stray brace in the path (placeholders are {field_id})")
    sample_host = ".".join(_SAMPLE_LABEL if PLACEHOLDER.fullmatch(label) else label for label in labels)
    try:
        parse_strict_url(f"{scheme}://{authority.replace(host, sample_host, 1)}/")
    except InvalidUrl as exc:
        raise ValueError(f"url {exc}") from None


@dataclass(frozen=True, slots=True, repr=False)
class RenderedRequest:
    """The request as sent. Holds credentials: never logged (``repr`` names only the host)."""

    method: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    basic_auth: tuple[str, str] | None
    secrets: tuple[str, ...]  # every value substituted, to strip from anything the provider echoes

    def __repr__(self) -> str:
        return f"RenderedRequest({self.method} {urlsplit(self.url).hostname})"


def _text(values: Mapping[str, Any], field_id: str) -> str:
    value = values.get(field_id)
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(template: str, values: Mapping[str, Any], encode: Any = None) -> str:
    def one(match: re.Match[str]) -> str:
        value = _text(values, match.group(1))
        if _CONTROL_CHARS.search(value):
            raise UnusableValue(match.group(1), "contains control characters")
        return encode(match.group(1), value) if encode else value

    return PLACEHOLDER.sub(one, template)


def _path_segment(field_id: str, value: str) -> str:
    if value == "":
        raise UnusableValue(field_id, "is empty")
    return quote(value, safe="")


def render_request(
    spec: VerificationSpec, values: Mapping[str, Any], *, options: Mapping[str, tuple[str, ...]]
) -> RenderedRequest:
    """The request for these form values; ``UnusableValue`` when a host value is not one DNS
    label (nor one of its field's ``options``) or a value cannot be sent at all."""
    template = spec.request
    origin, path, query = _split_url(template.url)
    scheme, authority = origin.split("://", 1)
    labels = _host_labels(template.url)
    host = ".".join(labels)
    rendered_labels = []
    for label in labels:
        match = PLACEHOLDER.fullmatch(label)
        if match is None:
            rendered_labels.append(label)
            continue
        field_id, value = match.group(1), _text(values, match.group(1))
        if value not in options.get(field_id, ()) and not _HOST_VALUE.fullmatch(value):
            raise UnusableValue(field_id, "must be a single name made of letters, digits and hyphens")
        rendered_labels.append(value)
    url = f"{scheme}://{authority.replace(host, '.'.join(rendered_labels), 1)}{_fill(path, values, _path_segment)}"
    url += query
    try:
        parsed = parse_strict_url(url)
    except InvalidUrl:
        raise UnusableValue(next(iter(template.host_placeholders()), "url"), "does not make a valid address") from None
    expected = ".".join(rendered_labels).lower()
    if parsed.host != expected.strip("[]"):  # belt and braces: the host is exactly the labels rendered
        raise UnusableValue(next(iter(template.host_placeholders()), "url"), "does not make a valid address")
    basic = None
    if template.basic_auth is not None:
        basic = (_fill(template.basic_auth.username, values), _fill(template.basic_auth.password, values))
    used = sorted({_text(values, name) for name in template.placeholders()} - {""}, key=len, reverse=True)
    return RenderedRequest(
        method=template.method,
        url=url,
        params={name: _fill(value, values) for name, value in template.query.items()},
        headers={name: _fill(value, values) for name, value in template.headers.items()},
        basic_auth=basic,
        secrets=tuple(used),
    )


def dotted(body: Any, path: str) -> Iterator[Any]:
    """The value at ``path`` ("errors.0.message") in a JSON body, if there is one."""
    current = body
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return
    yield current
