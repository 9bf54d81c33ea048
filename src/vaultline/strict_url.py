"""The one URL check behind every address Vaultline stores, renders or sends a browser to:
an absolute http(s) URL that Python's ``urllib`` and a browser's WHATWG URL parser read as the
same scheme, host and port, so that an allowlist decision taken here holds where the browser goes.

Browsers are lenient where Python is not: they read ``\\`` as ``/``, drop tabs and newlines
anywhere, trim spaces and control characters, accept ``https:evil.com``, percent-decode and
IDNA-map hosts and read ``0x7f.1`` as an IPv4 address. Rather than emulate all of that, only
the unambiguous subset is accepted: printable ASCII, ``scheme://host[:port]`` spelt out, no
user info, a host of plain DNS labels, a canonical IPv4 address or a bracketed IPv6 address.

Errors: ``InvalidUrl`` ← ``NotHttpUrl`` (not an absolute http(s) URL at all) and
``AmbiguousUrl`` (http(s), but in a form browsers may read as another host: a 422 at the API).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# What a browser ignores before reading a URL: C0 controls and spaces (trimmed at both ends),
# tabs and newlines (removed anywhere). A value that is http(s) once these are gone is "meant
# as" an http(s) URL, and refusing it is about ambiguity, not about the kind of URL.
_BROWSER_IGNORED = re.compile(r"[\x00-\x20]")
_HTTP_SCHEME = re.compile(r"https?:", re.IGNORECASE)
_SPELT_OUT_AUTHORITY = re.compile(r"(https?)://(?!/)", re.IGNORECASE)
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*")
_AUTHORITY = re.compile(r"(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
_DNS_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# WHATWG's "ends in a number" rule: such a host is parsed as IPv4 (octal, hex, fewer parts).
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_CANONICAL_IPV4_PART = re.compile(r"0|[1-9][0-9]{0,2}")
MAX_HOST_LENGTH = 253


class InvalidUrl(ValueError):
    """The value cannot be used as an http(s) URL; ``str()`` says why, without the value."""


class NotHttpUrl(InvalidUrl):
    """Not an absolute http:// or https:// URL (a relative path, ``javascript:``, ``ftp:``…)."""


class AmbiguousUrl(InvalidUrl):
    """An http(s) URL written in a form browsers and servers may read as different hosts."""


@dataclass(frozen=True, slots=True)
class StrictUrl:
    """A URL both parsers agree on. ``url`` is the value as given; ``host`` is lower case
    (an IPv6 address compressed, without brackets); ``port`` is None for the default port."""

    url: str
    scheme: str
    host: str
    port: int | None

    @property
    def origin(self) -> str:
        """``https://app.example.com`` (or ``http://[::1]:8080``): what a browser's
        ``location.origin`` would say for this URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" if self.port is None else f"{self.scheme}://{host}:{self.port}"


@lru_cache(maxsize=4096)  # the same few theme/redirect URLs and origins arrive on every request
def parse_strict_url(value: str) -> StrictUrl:
    """The parsed URL, or ``NotHttpUrl`` / ``AmbiguousUrl`` saying what to change."""
    if not _HTTP_SCHEME.match(_BROWSER_IGNORED.sub("", value)):
        raise NotHttpUrl("must be an absolute http:// or https:// URL")
    _check_characters(value)
    scheme_match = _SPELT_OUT_AUTHORITY.match(value)
    if scheme_match is None:
        raise AmbiguousUrl("must start with exactly http:// or https:// followed by the host")
    scheme = scheme_match.group(1).lower()
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise AmbiguousUrl(f"is not a well-formed URL ({exc})") from None
    if "@" in parts.netloc:
        raise AmbiguousUrl("must not carry a user name or password (user@ or user:password@ before the host)")
    authority = _AUTHORITY.fullmatch(parts.netloc)
    if authority is None:
        raise AmbiguousUrl(_authority_problem(parts.netloc))
    host = _checked_host(authority.group("host"))
    port = _checked_port(authority.group("port"), scheme)
    # The same reading on Python's side, by construction; checked because the allowlist relies on it.
    python_host = parts.hostname or ""
    if (":" in host and ipaddress.ip_address(python_host) != ipaddress.ip_address(host)) or (
        ":" not in host and python_host != host
    ):
        raise AmbiguousUrl("has a host that parsers read differently")
    if (parts.port if parts.port != DEFAULT_PORTS[scheme] else None) != port:
        raise AmbiguousUrl("has a port that parsers read differently")
    if parts.path.startswith("//"):
        # Harmless to a browser, but a classic open redirect on the receiving side.
        raise AmbiguousUrl("must not have a path starting with //")
    return StrictUrl(value, scheme, host, port)


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL that ``parse_strict_url`` accepts."""
    try:
        parse_strict_url(value)
    except InvalidUrl:
        return False
    return True


def safe_link(value: object) -> str | None:
    """``value`` if it is a URL a page may link, redirect or point an <img> to; else None.
    For values read back from tokens and stored rows, which may predate today's rules."""
    return value if isinstance(value, str) and is_http_url(value) else None


def _check_characters(value: str) -> None:
    if _PRINTABLE_ASCII.fullmatch(value):
        if "\\" in value:
            raise AmbiguousUrl("must not contain a backslash (browsers read it as '/'); percent-encode it as %5C")
        return
    if value != value.strip():
        raise AmbiguousUrl("must not start or end with spaces or control characters")
    if any(ord(char) > 0x7F for char in value):
        raise AmbiguousUrl(
            "must be plain ASCII: percent-encode other characters, and write hostnames in their xn-- form"
        )
    raise AmbiguousUrl("must not contain spaces, tabs, newlines or other control characters; percent-encode them")


def _authority_problem(netloc: str) -> str:
    if not netloc:
        return "must name a host"
    if "%" in netloc:
        return "must not percent-encode its host"
    if netloc.endswith(":") or re.search(r":[0-9]{6,}$", netloc):
        return "has an invalid port"
    return "has a host that is not a plain DNS name or IP address"


def _checked_host(raw: str) -> str:
    host = raw.lower()
    if host.startswith("["):
        try:
            return ipaddress.IPv6Address(host[1:-1]).compressed
        except ValueError:
            raise AmbiguousUrl("has an invalid IPv6 address") from None
    labels = host.split(".")
    if len(host) > MAX_HOST_LENGTH or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise AmbiguousUrl("has a host that is not a plain DNS name (letters, digits, '-', '_' between dots)")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        if len(labels) != 4 or not all(_CANONICAL_IPV4_PART.fullmatch(label) for label in labels):
            raise AmbiguousUrl("has an IPv4 address that is not in dotted-decimal form (e.g. 192.0.2.1)")
        if any(int(label) > 255 for label in labels):
            raise AmbiguousUrl("has an invalid IPv4 address")
    for label in labels:
        if label.startswith("xn--"):
            try:
                label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                raise AmbiguousUrl("has an invalid internationalised (xn--) host label") from None
    return host


def _checked_port(raw: str | None, scheme: str) -> int | None:
    if raw is None:
        return None
    port = int(raw)
    if not 1 <= port <= 65535:
        raise AmbiguousUrl("has a port outside 1-65535")
    return None if port == DEFAULT_PORTS[scheme] else port
