"""Creating a Vault link: everything an opening would refuse is checked now (so a bad link is a
422 for the developer, not a broken page for the consumer), then the link row, its
``vault.link.created`` event and its email (when asked) are written in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from vaultline.errors import Unprocessable
from vaultline.links.email_text import render_link_email
from vaultline.links.events import enqueue_link_event
from vaultline.links.request import LinkRequest
from vaultline.links.tokens import new_link_id, new_link_secret, sha256_hex
from vaultline.mail.outbox import enqueue_email
from vaultline.runtime import Runtime
from vaultline.sessions.minting import check_redirect_uri
from vaultline.sessions.request import SessionSettings, parse_session_length
from vaultline.store.applications import Application
from vaultline.store.vault_links import LinkRecord, insert_link
from vaultline.webhooks.events import LINK_CREATED

LINK_PATH = "/link/"


@dataclass(frozen=True, slots=True)
class CreatedLink:
    record: LinkRecord
    url: str  # the only copy of the secret: returned once, never stored or logged


def link_url(public_url: str, secret: str) -> str:
    return f"{public_url}{LINK_PATH}{secret}"


def default_sender(public_url: str) -> str:
    return f"vaultline@{urlsplit(public_url).hostname or 'localhost'}"


async def create_link(
    runtime: Runtime, *, application: Application, consumer_id: str, request: LinkRequest
) -> CreatedLink:
    session_request = request.session_request()
    parse_session_length((session_request.settings or SessionSettings()).session_length)
    check_redirect_uri(application, session_request.redirect_uri)
    target = runtime.smtp_target
    if request.send_to is not None and target is None:
        raise Unprocessable(
            "send_to needs email delivery, which this server has not set up: set VAULTLINE_SMTP_URL",
            detail="Set VAULTLINE_SMTP_URL (smtp://user:password@host:587?from=vault@example.com) on the server, "
            "or create the link without send_to and hand its url to the consumer yourself.",
        )
    now = runtime.clock()
    secret = new_link_secret()
    record = LinkRecord(
        id=new_link_id(),
        application_id=application.id,
        consumer_id=consumer_id,
        session_request=request.session_fields(),
        single_use=request.single_use,
        locale=request.locale,
        send_to=request.send_to,
        created_at=now,
        expires_at=now + request.expires_in * 1000,
        revoked_at=None,
        binding_hash=None,
        first_opened_at=None,
        last_opened_at=None,
        open_count=0,
    )
    public_url = runtime.settings.public_url
    url = link_url(public_url, secret)
    async with runtime.engine.begin() as connection:
        await insert_link(connection, record=record, secret_hash=sha256_hex(secret))
        await enqueue_link_event(connection, type=LINK_CREATED, record=record, public_url=public_url, now=now)
        if request.send_to is not None and target is not None:
            theme_name = session_request.theme.vault_name if session_request.theme else None
            email = render_link_email(
                sender=target.sender or default_sender(public_url),
                recipient=request.send_to,
                url=url,
                vault_name=theme_name or application.name,
                expires_at=record.expires_at,
                single_use=record.single_use,
                locale=record.locale,
            )
            await enqueue_email(
                connection, ring=runtime.master_keys, application_id=application.id, link_id=record.id, email=email
            )
    return CreatedLink(record, url)
