"""Creating a Vault link: everything an opening would refuse is checked now (so a bad link is a
422 for the developer, not a broken page for the consumer), then the link row, its
``vault.link.created`` event and its email (when asked) are written in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from vaultline.errors import Unprocessable
from vaultline.links.email_text import render_link_email
from vaultline.links.events import enqueue_link_event
from vaultline.links.request import LinkRequest
from vaultline.links.tokens import derived_link, new_link_id, new_link_secret, sha256_hex
from vaultline.mail.outbox import enqueue_email
from vaultline.runtime import Runtime
from vaultline.sessions.minting import check_redirect_uri
from vaultline.sessions.request import SessionSettings, parse_session_length
from vaultline.store.applications import Application
from vaultline.store.vault_links import LinkRecord, find_link_by_secret_hash, insert_link
from vaultline.webhooks.events import LINK_CREATED

LINK_PATH = "/link/"


@dataclass(frozen=True, slots=True)
class CreatedLink:
    record: LinkRecord
    url: str  # the only copy of the secret: returned once, never stored or logged
    replayed: bool = False  # a retry of a create with the same Idempotency-Key: nothing new was made


def link_url(public_url: str, secret: str) -> str:
    return f"{public_url}{LINK_PATH}{secret}"


def default_sender(public_url: str) -> str:
    return f"vaultline@{urlsplit(public_url).hostname or 'localhost'}"


async def create_link(
    runtime: Runtime,
    *,
    application: Application,
    consumer_id: str,
    request: LinkRequest,
    creation_key: str | None = None,
) -> CreatedLink:
    """``creation_key``: the request's Idempotency-Key. A retry with the same key (SDKs retry a
    create that timed out) gets the link the first attempt made, and no second email."""
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
    link_id, secret = new_link_id(), new_link_secret()
    if creation_key is not None:
        link_id, secret = derived_link(
            runtime.api_key_hash_key, application_id=application.id, consumer_id=consumer_id, creation_key=creation_key
        )
        replay = await _created_before(runtime, application, secret)
        if replay is not None:
            return replay
    record = LinkRecord(
        id=link_id,
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
    try:
        await _write(runtime, application, record, secret, request)
    except IntegrityError:
        replay = await _created_before(runtime, application, secret) if creation_key is not None else None
        if replay is None:
            raise
        return replay  # the same retry, twice at once: the other one wrote it
    return CreatedLink(record, link_url(runtime.settings.public_url, secret))


async def _created_before(runtime: Runtime, application: Application, secret: str) -> CreatedLink | None:
    async with runtime.engine.connect() as connection:
        existing = await find_link_by_secret_hash(connection, secret_hash=sha256_hex(secret))
    if existing is None or existing.application_id != application.id:
        return None
    return CreatedLink(existing, link_url(runtime.settings.public_url, secret), replayed=True)


async def _write(
    runtime: Runtime, application: Application, record: LinkRecord, secret: str, request: LinkRequest
) -> None:
    """The link, its event and its email, in one transaction."""
    target = runtime.smtp_target
    session_request = request.session_request()
    public_url = runtime.settings.public_url
    url = link_url(public_url, secret)
    async with runtime.engine.begin() as connection:
        await insert_link(connection, record=record, secret_hash=sha256_hex(secret))
        await enqueue_link_event(
            connection, type=LINK_CREATED, record=record, public_url=public_url, now=record.created_at
        )
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
