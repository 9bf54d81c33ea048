"""``VAULTLINE_SMTP_URL``: where Vault link emails are sent, parsed once at start-up.

``smtp://[user:password@]host[:port][?from=addr&starttls=true&cafile=/path]`` or ``smtps://…``
(TLS from the first byte, port 465). ``smtp://`` upgrades with STARTTLS when asked to, and always on
port 587 (the submission port, where sending credentials in the clear is never right).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class InvalidSmtpUrl(ValueError):
    """The setting cannot be used; the message names what is wrong, never the password."""


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None
    sender: str | None
    cafile: str | None

    def __repr__(self) -> str:  # the password must not reach a log through a repr
        return f"SmtpTarget(host={self.host!r}, port={self.port}, tls={self.implicit_tls}, starttls={self.starttls})"


def _flag(query: dict[str, list[str]], name: str) -> bool | None:
    values = query.get(name)
    if not values:
        return None
    value = values[-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidSmtpUrl(f"?{name}= must be true or false")


def parse_smtp_url(url: str) -> SmtpTarget:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidSmtpUrl(f"is not a URL ({exc})") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise InvalidSmtpUrl("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise InvalidSmtpUrl("names no host")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"from", "starttls", "cafile"}
    if unknown:
        raise InvalidSmtpUrl(f"has unknown parameters: {', '.join(sorted(unknown))} (known: from, starttls, cafile)")
    implicit_tls = parts.scheme == "smtps"
    port = port or (465 if implicit_tls else 25)
    starttls = _flag(query, "starttls")
    if implicit_tls and starttls:
        raise InvalidSmtpUrl("smtps:// is TLS already; starttls=true is for smtp://")
    sender = query.get("from", [None])[-1]
    if sender is not None and ("@" not in sender or any(c in sender for c in "\r\n")):
        raise InvalidSmtpUrl("?from= must be an email address")
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        implicit_tls=implicit_tls,
        starttls=bool(starttls) if starttls is not None else (not implicit_tls and port == 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        sender=sender,
        cafile=query.get("cafile", [None])[-1] or None,
    )
