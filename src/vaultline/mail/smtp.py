"""Sending one plain-text message over SMTP (``VAULTLINE_SMTP_URL``, see smtp_url.py).

The standard library's client runs in a thread: a message is sent rarely, and the worker that
sends it must not stall the event loop while a slow server answers.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from vaultline.smtp_url import SmtpTarget


@dataclass(frozen=True, slots=True)
class PlainEmail:
    sender: str
    recipient: str
    subject: str
    body: str
    language: str | None = None


class SmtpFailure(Exception):
    """The message was not accepted. ``permanent``: the server refused it for good (a 5xx for the
    recipient or sender), so retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def build_message(email: PlainEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=email.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    message.set_content(email.body)
    if email.language:  # after set_content, which drops every Content-* header
        message["Content-Language"] = email.language
    return message


def _tls_context(target: SmtpTarget) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=target.cafile)


def _send_blocking(target: SmtpTarget, email: PlainEmail, timeout: float) -> None:
    message = build_message(email)
    client: smtplib.SMTP
    if target.implicit_tls:
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=_tls_context(target))
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        client.ehlo()
        if target.starttls:
            client.starttls(context=_tls_context(target))
            client.ehlo()
        if target.username is not None:
            client.login(target.username, target.password or "")
        client.send_message(message, from_addr=email.sender, to_addrs=[email.recipient])


def _describe(exc: Exception) -> SmtpFailure:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return SmtpFailure(f"recipient refused ({', '.join(map(str, codes))})", permanent=all(c >= 500 for c in codes))
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return SmtpFailure(f"sender refused ({exc.smtp_code})", permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SmtpFailure(f"authentication failed ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPResponseException):
        return SmtpFailure(f"SMTP {exc.smtp_code}")
    if isinstance(exc, TimeoutError):
        return SmtpFailure("timed out")
    return SmtpFailure(f"{type(exc).__name__}: {exc}"[:300])


async def send_plain_email(target: SmtpTarget, email: PlainEmail, *, timeout: float) -> None:
    """Send, or raise ``SmtpFailure`` saying why (never the message, which holds a secret)."""
    try:
        await asyncio.to_thread(_send_blocking, target, email, timeout)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise _describe(exc) from None
