"""``vaultline links create|list|revoke``: Vault links from the command line, written to the same
database the server reads. An email asked for with ``--send-to`` waits in the outbox until a
running server (with ``VAULTLINE_SMTP_URL``) sends it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic import ValidationError

from vaultline.cli.errors import CommandError
from vaultline.cli.integrations_commands import open_for_app, open_with_app
from vaultline.config import Settings
from vaultline.errors import VaultError
from vaultline.links.creation import create_link
from vaultline.links.request import LinkRequest
from vaultline.links.view import link_view
from vaultline.store.vault_links import list_links, revoke_link


def _request_from(args: argparse.Namespace) -> LinkRequest:
    body: dict[str, Any] = {}
    if args.session:
        try:
            body = json.loads(args.session)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--session is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise CommandError("--session must be a JSON object (a POST /vault/sessions body)")
    body.update(
        {
            "expires_in": args.expires_in,
            "single_use": not args.multi_use,
            "send_to": args.send_to,
            "locale": args.locale,
        }
    )
    try:
        return LinkRequest.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise CommandError(f"invalid link: {problems}") from None


async def create(settings: Settings, args: argparse.Namespace) -> int:
    request = _request_from(args)
    runtime, application = await open_with_app(settings, args.app)
    try:
        try:
            created = await create_link(runtime, application=application, consumer_id=args.consumer, request=request)
        except VaultError as exc:
            raise CommandError(exc.message) from None
        now = runtime.clock()
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps({**link_view(created.record, now), "url": created.url}))
    else:
        print(created.url)
        note = " (emailed by the running server)" if request.send_to else ""
        expires_at = link_view(created.record, now)["expires_at"]
        print(f"{created.record.id}: {created.record.consumer_id}, until {expires_at}{note}")
    return 0


async def list_consumer_links(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 1000:
        raise CommandError("--limit must be between 1 and 1000")
    runtime = await open_for_app(settings, args.app)
    try:
        async with runtime.engine.connect() as connection:
            records, _ = await list_links(
                connection, application_id=args.app, consumer_id=args.consumer, before=None, limit=args.limit
            )
        now = runtime.clock()
    finally:
        await runtime.close()
    views = [link_view(record, now) for record in records]
    if args.json:
        print(json.dumps(views))
        return 0
    for view in views:
        use = "single-use" if view["single_use"] else "multi-use"
        print(f"{view['id']}  {view['state']:<8} {use:<10} until {view['expires_at']}  opened {view['open_count']}x")
    if not views:
        print(f"no links for consumer {args.consumer!r}")
    return 0


async def revoke(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await open_for_app(settings, args.app)
    try:
        async with runtime.engine.begin() as connection:
            record = await revoke_link(connection, application_id=args.app, link_id=args.link_id, now=runtime.clock())
        now = runtime.clock()
    finally:
        await runtime.close()
    if record is None:
        raise CommandError(f"no link {args.link_id!r} in application {args.app!r}")
    print(json.dumps(link_view(record, now)) if args.json else f"{record.id} revoked")
    return 0
