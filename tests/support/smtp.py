"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can be stopped and
started again on the same port (an outage); optionally with a password and STARTTLS."""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.live_server import free_port

LINK_IN_TEXT = re.compile(r"https?://\S+/link/vl_link_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        content = self.message.get_content()
        assert isinstance(content, str)
        return content

    def link(self) -> str:
        found = LINK_IN_TEXT.findall(self.text)
        assert len(found) == 1, f"expected one Vault link in the email, found {found}:\n{self.text}"
        return str(found[0])


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: ARG002 (aiosmtpd's signature)
        with self.server.lock:
            self.server.received.append(ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(
        self,
        *,
        port: int | None = None,
        login: tuple[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.login = login
        self.tls = tls
        self.received: list[ReceivedEmail] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def url(self, *, sender: str = "vault@saas.test", starttls: bool = False, cafile: Path | None = None) -> str:
        credentials = f"{quote(self.login[0], safe='')}:{quote(self.login[1], safe='')}@" if self.login else ""
        query = f"?from={sender}"
        if starttls:
            query += "&starttls=true"
        if cafile is not None:
            query += f"&cafile={cafile}"
        return f"smtp://{credentials}127.0.0.1:{self.port}{query}"

    def _authenticate(self, *args: Any) -> AuthResult:
        data = args[-1]  # aiosmtpd passes (server, session, envelope, mechanism, auth data)
        assert self.login is not None
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == self.login
        return AuthResult(success=ok)

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.login is not None:  # aiosmtpd warns (an error here) about a password without TLS
            assert self.tls is not None, "a server with a password needs tls=(certificate, key)"
            kwargs.update(authenticator=self._authenticate, auth_required=True)
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            kwargs.update(tls_context=context, require_starttls=True)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int = 1, *, timeout: float = 20) -> list[ReceivedEmail]:
        """Bounded wait for ``count`` messages (delivery is asynchronous, not timed)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} emails arrived within {timeout} s")
            time.sleep(0.02)


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
