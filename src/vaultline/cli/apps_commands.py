"""``vaultline apps …``: create, list, rotate-key."""

from __future__ import annotations

import argparse
import json
from typing import Any

from vaultline.cli.errors import CommandError
from vaultline.clock import iso_from_ms
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.api_keys import add_api_key, rotate_api_key
from vaultline.store.applications import InvalidOrigin, create_application, get_application, list_applications
from vaultline.store.webhooks import webhook_urls


async def create(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await Runtime.open(settings, background=False)
    try:
        async with runtime.engine.begin() as connection:
            try:
                app = await create_application(
                    connection, name=args.name, redirect_origins=args.redirect_origin, embed_origins=args.embed_origin
                )
            except InvalidOrigin as exc:
                raise CommandError(str(exc)) from None
            api_key = await add_api_key(connection, application_id=app.id, hash_key=runtime.api_key_hash_key)
    finally:
        await runtime.close()
    if args.json:
        print(
            json.dumps(
                {
                    "application_id": app.id,
                    "api_key": api_key,
                    "name": app.name,
                    "redirect_origins": list(app.redirect_origins),
                    "embed_origins": list(app.embed_origins),
                }
            )
        )
    else:
        print(f"Created application {app.name!r}")
        print(f"  application id: {app.id}")
        print(f"  API key:        {api_key}   (shown once: store it now)")
        print(f"  redirect origins: {', '.join(app.redirect_origins) or 'any'}")
        print(f"  embed origins:    {', '.join(app.embed_origins) or 'none (embedding refused)'}")
    return 0


async def list_apps(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await Runtime.open(settings, background=False)
    try:
        async with runtime.engine.connect() as connection:
            listings = await list_applications(connection)
            webhooks = await webhook_urls(connection)
    finally:
        await runtime.close()
    rows: list[dict[str, Any]] = [
        {
            "application_id": item.application.id,
            "name": item.application.name,
            "created": iso_from_ms(item.application.created_at),
            "api_keys": [prefix + "…" for prefix in item.active_key_prefixes],
            "redirect_origins": list(item.application.redirect_origins),
            "embed_origins": list(item.application.embed_origins),
            "demo": item.application.is_demo,
            "webhook_url": webhooks.get(item.application.id, (None, False))[0],
            "webhook_enabled": webhooks.get(item.application.id, (None, False))[1],
        }
        for item in listings
    ]
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("No applications yet. Create one with: vaultline apps create --name NAME")
    for row in rows:
        print(f"{row['application_id']}  {row['name']}{'  (demo)' if row['demo'] else ''}")
        print(f"    keys: {', '.join(row['api_keys']) or 'none active'}")
        print(f"    redirect origins: {', '.join(row['redirect_origins']) or 'any'}")
        print(f"    embed origins:    {', '.join(row['embed_origins']) or 'none'}")
        if row["webhook_url"]:
            print(f"    webhook:          {row['webhook_url']}{'' if row['webhook_enabled'] else '  (disabled)'}")
    return 0


async def rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    if args.grace_seconds < 0:
        raise CommandError("--grace-seconds must not be negative")
    runtime = await Runtime.open(settings, background=False)
    try:
        async with runtime.engine.begin() as connection:
            if await get_application(connection, application_id=args.application_id) is None:
                raise CommandError(f"no application {args.application_id!r} (see `vaultline apps list`)")
            api_key = await rotate_api_key(
                connection,
                application_id=args.application_id,
                hash_key=runtime.api_key_hash_key,
                grace_seconds=args.grace_seconds,
            )
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps({"application_id": args.application_id, "api_key": api_key}))
    else:
        print(f"New API key for {args.application_id}: {api_key}   (shown once: store it now)")
        when = f"in {args.grace_seconds} s" if args.grace_seconds else "now"
        print(f"Previous keys stop working {when} (running servers notice within a few seconds).")
    return 0
