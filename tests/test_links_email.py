"""Vault links emailed through a real SMTP server on loopback (aiosmtpd), on both backends: the
message, retries while the server is down, a revoked link's email not sent, a password, STARTTLS,
the message sealed at rest and erased once sent, and the text through gettext."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from sqlalchemy import select

from tests.conftest import PUBLIC_URL
from tests.support.gettext_catalog import write_mo
from tests.support.smtp import SmtpServer
from tests.support.tenants import Tenant, create_tenant
from tests.support.tls_cert import loopback_certificate
from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.db.schema import email_outbox
from vaultline.links.email_text import render_link_email
from vaultline.smtp_url import InvalidSmtpUrl, parse_smtp_url

FAST_EMAIL = {"email_retry_base_seconds": 0.2, "email_timeout_seconds": 5.0, "webhook_poll_seconds": 0.1}

AppFactory = Callable[[str], Any]


@pytest.fixture
async def mail_app(settings: Settings) -> AsyncIterator[AppFactory]:
    """``await mail_app(smtp_url)``: the app with email delivery pointed at ``smtp_url``."""
    contexts: list[Any] = []

    async def open_with_context(smtp_url: str) -> FastAPI:
        application = create_app(settings.model_copy(update={"smtp_url": SecretStr(smtp_url), **FAST_EMAIL}))
        context = application.router.lifespan_context(application)
        await context.__aenter__()
        contexts.append(context)
        return application

    yield open_with_context
    for context in reversed(contexts):
        await context.__aexit__(None, None, None)


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL)


async def emailed_link(app: FastAPI, tenant: Tenant, **body: Any) -> dict[str, Any]:
    async with client_for(app) as client:
        response = await client.post(
            "/vault/links", headers=tenant.headers("alice"), json={"send_to": "person@example.com", **body}
        )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def outbox_rows(app: FastAPI) -> list[dict[str, Any]]:
    async with app.state.runtime.engine.connect() as connection:
        return [dict(r._mapping) for r in await connection.execute(select(email_outbox))]


async def wait_outbox(app: FastAPI, predicate: Callable[[list[dict[str, Any]]], bool], *, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        rows = await outbox_rows(app)
        if predicate(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"email outbox not in the expected state after {timeout} s: {rows}")
        await asyncio.sleep(0.05)


async def received(server: SmtpServer, count: int = 1) -> Any:
    return await asyncio.to_thread(server.wait_for, count)


async def test_an_emailed_link_arrives_with_its_url_and_opens(mail_app: AppFactory) -> None:
    server = SmtpServer()
    server.start()
    try:
        app = await mail_app(server.url(sender="vault@saas.test"))
        tenant = await create_tenant(app, name="Acme SaaS")
        link = await emailed_link(app, tenant, theme={"vault_name": "Acme"}, locale="en")
        [email] = await received(server)
    finally:
        server.stop()
    assert email.mail_from == "vault@saas.test" and email.recipients == ["person@example.com"]
    message = email.message
    assert message["To"] == "person@example.com" and message["From"] == "vault@saas.test"
    assert email.subject == "Connect your accounts to Acme"
    assert message.get_content_type() == "text/plain" and message["Content-Language"] == "en"
    assert email.link() == link["url"]
    assert "first browser" in email.text  # single use by default, and the email says so
    rows = await wait_outbox(app, lambda rows: rows and rows[0]["status"] == "sent")
    assert rows[0]["message_sealed"] is None and rows[0]["attempts"] == 1  # erased once sent
    async with client_for(app) as browser:
        opened = await browser.get("/" + email.link().split("/", 3)[3])
        assert opened.status_code == 303 and opened.headers["location"].endswith("/integrations")
        view = (await browser.get(f"/vault/links/{link['id']}", headers=tenant.headers(None))).json()["data"]
    assert view["send_to"] == "person@example.com" and view["email"]["status"] == "sent"


async def test_a_retried_create_sends_one_email(mail_app: AppFactory) -> None:
    server = SmtpServer()
    server.start()
    try:
        app = await mail_app(server.url())
        tenant = await create_tenant(app, name="Acme SaaS")
        headers = {**tenant.headers("alice"), "Idempotency-Key": "sdk-call-1"}
        body = {"send_to": "person@example.com"}
        async with client_for(app) as client:
            statuses = [(await client.post("/vault/links", headers=headers, json=body)).status_code for _ in range(3)]
        assert statuses == [201, 200, 200]
        await wait_outbox(app, lambda rows: len(rows) == 1 and rows[0]["status"] == "sent")
        await emailed_link(app, tenant)  # a later, different create: its email comes after the first
        emails = await received(server, 2)
    finally:
        server.stop()
    assert len(emails) == 2 and emails[0].link() != emails[1].link()


async def test_delivery_retries_while_the_smtp_server_is_down_then_sends(mail_app: AppFactory) -> None:
    server = SmtpServer()  # its port is chosen, nothing listens on it yet
    app = await mail_app(server.url())
    tenant = await create_tenant(app, name="Acme SaaS")
    link = await emailed_link(app, tenant)
    rows = await wait_outbox(app, lambda rows: rows and rows[0]["attempts"] >= 2)
    assert rows[0]["status"] == "pending" and "Connection" in (rows[0]["last_error"] or "")
    sealed = rows[0]["message_sealed"]
    secret = link["url"].rsplit("/", 1)[1]
    assert sealed.startswith("v1:") and secret not in sealed and "person@example.com" not in sealed
    server.start()
    try:
        [email] = await received(server)
    finally:
        server.stop()
    assert email.link() == link["url"]
    rows = await wait_outbox(app, lambda rows: rows[0]["status"] == "sent")
    assert rows[0]["attempts"] >= 3 and rows[0]["message_sealed"] is None and rows[0]["last_error"] is None


async def test_a_revoked_links_email_is_not_sent(mail_app: AppFactory) -> None:
    server = SmtpServer()
    app = await mail_app(server.url())
    tenant = await create_tenant(app, name="Acme SaaS")
    link = await emailed_link(app, tenant)
    await wait_outbox(app, lambda rows: rows and rows[0]["attempts"] >= 1)
    async with client_for(app) as client:
        revoked = await client.delete(f"/vault/links/{link['id']}", headers=tenant.headers(None))
        assert revoked.status_code == 200
    server.start()
    try:
        rows = await wait_outbox(app, lambda rows: rows[0]["status"] == "cancelled")
        assert rows[0]["message_sealed"] is None
        # A second link's email is sent by the same worker, so the first had its chance.
        await emailed_link(app, tenant)
        [email] = await received(server)
    finally:
        server.stop()
    assert email.link() != link["url"]


async def test_password_and_starttls(mail_app: AppFactory, tmp_path: Path) -> None:
    cert, key = loopback_certificate(tmp_path)
    server = SmtpServer(login=("vault user", "p@ss:word/1"), tls=(cert, key))
    server.start()
    try:
        app = await mail_app(server.url(starttls=True, cafile=cert))
        tenant = await create_tenant(app, name="Acme SaaS")
        link = await emailed_link(app, tenant)
        [email] = await received(server)
    finally:
        server.stop()
    assert email.link() == link["url"]


async def test_a_wrong_password_is_retried_not_sent(mail_app: AppFactory, tmp_path: Path) -> None:
    cert, key = loopback_certificate(tmp_path)
    server = SmtpServer(login=("vault", "right"), tls=(cert, key))
    server.start()
    try:
        wrong = server.url(starttls=True, cafile=cert).replace("vault:right@", "vault:wrong@")
        app = await mail_app(wrong)
        tenant = await create_tenant(app, name="Acme SaaS")
        await emailed_link(app, tenant)
        rows = await wait_outbox(app, lambda rows: rows and rows[0]["attempts"] >= 1)
    finally:
        server.stop()
    # aiosmtpd stalls a failed login (as servers slowing guessers do): a timeout, retried.
    assert rows[0]["status"] == "pending" and rows[0]["last_error"]
    assert server.received == [] and "wrong" not in rows[0]["last_error"]


def test_the_email_text_goes_through_gettext_in_the_links_locale(tmp_path: Path) -> None:
    write_mo(
        tmp_path,
        "nl",
        {
            "Connect your accounts to %(vault_name)s": "Koppel uw accounts aan %(vault_name)s",
            "Hello,": "Hallo,",
        },
    )
    common = {
        "sender": "vault@saas.test",
        "recipient": "person@example.com",
        "url": "http://vault.test/link/vl_link_x",
        "vault_name": "Acme",
        "expires_at": 1_800_000_000_000,
        "single_use": True,
        "localedir": tmp_path,
    }
    dutch = render_link_email(locale="nl-NL", **common)
    assert dutch.subject == "Koppel uw accounts aan Acme" and dutch.body.startswith("Hallo,")
    assert dutch.language == "nl-NL"
    english = render_link_email(locale="fr", **common)  # no French catalog: English
    assert english.subject == "Connect your accounts to Acme" and english.body.startswith("Hello,")
    assert "http://vault.test/link/vl_link_x" in dutch.body and "15 januari 2027, 08:00:00 UTC" in dutch.body


def test_the_email_is_translated_by_the_built_in_catalogs() -> None:
    email = render_link_email(
        sender="vault@saas.test",
        recipient="person@example.com",
        url="http://vault.test/link/vl_link_x",
        vault_name="Acme",
        expires_at=1_800_000_000_000,
        single_use=True,
        locale="ja-JP",
    )
    assert email.subject == "Acme にアカウントを接続してください"
    assert email.body.startswith("こんにちは。") and "2027年1月15日" in email.body and "Hello" not in email.body


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://mail.example", "smtp://"),
        ("smtp://", "no host"),
        ("smtp://mail.example?from=nobody", "from="),
        ("smtp://mail.example?tls=1", "unknown parameters"),
        ("smtps://mail.example?starttls=true", "TLS already"),
        ("smtp://mail.example:99999", "not a URL"),
    ],
)
def test_an_unusable_smtp_url_stops_the_start_naming_the_setting(url: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(smtp_url=url)  # type: ignore[arg-type]
    assert "VAULTLINE_SMTP_URL" in str(caught.value) and words in str(caught.value)


def test_smtp_url_forms() -> None:
    plain = parse_smtp_url("smtp://mail.example")
    assert (plain.port, plain.starttls, plain.implicit_tls, plain.username) == (25, False, False, None)
    submission = parse_smtp_url("smtp://u%40x:s%3Acret@mail.example:587?from=vault@saas.test")
    assert submission.starttls and (submission.username, submission.password) == ("u@x", "s:cret")
    assert submission.sender == "vault@saas.test" and "s:cret" not in repr(submission)
    implicit = parse_smtp_url("smtps://mail.example")
    assert (implicit.port, implicit.implicit_tls, implicit.starttls) == (465, True, False)
    assert "s:cret" not in repr(Settings(smtp_url="smtp://u:s:cret@mail.example"))  # type: ignore[arg-type]
    with pytest.raises(InvalidSmtpUrl):
        parse_smtp_url("smtp://mail.example?starttls=maybe")
