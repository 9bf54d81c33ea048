"""``vaultline apps webhook APP_ID``: set an application's webhook URL (and secret), rotate the
secret, disable it, or show it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from vaultline.cli.errors import CommandError
from vaultline.config import Settings
from vaultline.net_guard import UnsafeUrl, check_public_url
from vaultline.runtime import Runtime
from vaultline.store.applications import get_application
from vaultline.store.webhook_outbox import count_events_by_status
from vaultline.store.webhooks import WebhookEndpoint, disable_webhook, get_webhook, set_webhook
from vaultline.webhooks.signing import new_webhook_secret


async def configure(settings: Settings, args: argparse.Namespace) -> int:
    if args.disable and (args.url or args.rotate_secret):
        raise CommandError("--disable cannot be combined with --url or --rotate-secret")
    if args.url is not None:
        try:
            await check_public_url(args.url, allow_private=settings.allow_private_webhooks)
        except UnsafeUrl as exc:
            raise CommandError(f"webhook URL refused: {exc}") from None
    runtime = await Runtime.open(settings, background=False)
    try:
        async with runtime.engine.begin() as connection:
            if await get_application(connection, application_id=args.application_id) is None:
                raise CommandError(f"no application {args.application_id!r} (see `vaultline apps list`)")
            current = await get_webhook(connection, application_id=args.application_id, ring=runtime.master_keys)
            if args.disable:
                if current is not None:
                    await disable_webhook(connection, application_id=args.application_id)
            elif args.url is not None or args.rotate_secret:
                url = args.url if args.url is not None else (current.url if current else None)
                if url is None:
                    raise CommandError("this application has no webhook yet: give --url URL")
                secret = new_webhook_secret() if current is None or args.rotate_secret else None
                await set_webhook(
                    connection, application_id=args.application_id, url=url, secret=secret, ring=runtime.master_keys
                )
            endpoint = await get_webhook(connection, application_id=args.application_id, ring=runtime.master_keys)
            counts = await count_events_by_status(connection, application_id=args.application_id)
    finally:
        await runtime.close()
    changed_secret = bool(endpoint and (current is None or current.secret != endpoint.secret))
    _report(
        args, endpoint, counts, show_secret=args.url is not None or args.rotate_secret, changed_secret=changed_secret
    )
    return 0


def _report(
    args: argparse.Namespace,
    endpoint: WebhookEndpoint | None,
    counts: dict[str, int],
    *,
    show_secret: bool,
    changed_secret: bool,
) -> None:
    url = endpoint.url if endpoint else None
    enabled = endpoint.enabled if endpoint else False
    if args.json:
        out: dict[str, Any] = {"application_id": args.application_id, "url": url, "enabled": enabled}
        if show_secret and endpoint is not None:
            out["secret"] = endpoint.secret
            out["secret_rotated"] = changed_secret
        out["events"] = counts
        print(json.dumps(out))
        return
    if url is None:
        print(f"{args.application_id} has no webhook. Set one with: vaultline apps webhook APP_ID --url URL")
        return
    print(f"Webhook for {args.application_id}: {url}  ({'enabled' if enabled else 'disabled'})")
    if show_secret and endpoint is not None:
        if changed_secret:
            print(f"  signing secret: {endpoint.secret}   (shown once: store it now)")
        else:
            print("  signing secret: unchanged (--rotate-secret issues a new one)")
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "none yet"
    print(f"  events: {summary}")
