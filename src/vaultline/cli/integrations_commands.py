"""``vaultline integrations …``: the catalog, and which integrations an application offers."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vaultline.cli.errors import CommandError
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.applications import Application, get_application
from vaultline.store.integrations import list_application_integrations, set_integrations_enabled, set_oauth_client


async def open_for_app(settings: Settings, application_id: str) -> Runtime:
    runtime, _application = await open_with_app(settings, application_id)
    return runtime


async def open_with_app(settings: Settings, application_id: str) -> tuple[Runtime, Application]:
    """A runtime for a command about one application, and that application's row."""
    runtime = await Runtime.open(settings, background=False)
    async with runtime.engine.connect() as connection:
        found = await get_application(connection, application_id=application_id)
    if found is None:
        await runtime.close()
        raise CommandError(f"no application {application_id!r} (see `vaultline apps list`)")
    return runtime, found


def _chosen_service_ids(runtime: Runtime, args: argparse.Namespace) -> list[str]:
    if args.all == bool(args.service_ids):
        raise CommandError("name SERVICE_ID... or --all (not both)")
    if args.all:
        return [definition.service_id for definition in runtime.catalog]
    unknown = [s for s in args.service_ids if runtime.catalog.get(s) is None]
    if unknown:
        raise CommandError(f"not in the catalog: {', '.join(unknown)} (see `vaultline integrations list`)")
    return list(args.service_ids)


async def _set_enabled(settings: Settings, args: argparse.Namespace, *, enabled: bool) -> int:
    runtime = await open_for_app(settings, args.app)
    try:
        service_ids = _chosen_service_ids(runtime, args)
        async with runtime.engine.begin() as connection:
            await set_integrations_enabled(
                connection, application_id=args.app, service_ids=service_ids, enabled=enabled
            )
    finally:
        await runtime.close()
    print(f"{'Offering' if enabled else 'No longer offering'} {len(service_ids)} integration(s) in {args.app}.")
    if not enabled:
        print("Consumers' existing connections are kept, and come back if the integration is enabled again.")
    return 0


async def enable(settings: Settings, args: argparse.Namespace) -> int:
    return await _set_enabled(settings, args, enabled=True)


async def disable(settings: Settings, args: argparse.Namespace) -> int:
    return await _set_enabled(settings, args, enabled=False)


async def set_oauth(settings: Settings, args: argparse.Namespace) -> int:
    secret = sys.stdin.readline().strip() if args.client_secret == "-" else args.client_secret
    if not secret or not args.client_id.strip():
        raise CommandError("--client-id and --client-secret must not be empty")
    runtime = await open_for_app(settings, args.app)
    try:
        definition = runtime.catalog.get(args.service_id)
        if definition is None or definition.auth_type != "oauth2":
            raise CommandError(f"{args.service_id!r} is not an OAuth 2 integration in the catalog")
        async with runtime.engine.begin() as connection:
            await set_oauth_client(
                connection,
                application_id=args.app,
                service_id=args.service_id,
                client_id=args.client_id.strip(),
                client_secret=secret,
                ring=runtime.master_keys,
            )
    finally:
        await runtime.close()
    print(f"Stored the OAuth client for {definition.name} in {args.app} (secret encrypted).")
    print(f"Register this redirect URI with {definition.name}: {settings.public_url}/vault/callback")
    return 0


async def list_integrations(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await (open_for_app(settings, args.app) if args.app else Runtime.open(settings, background=False))
    try:
        offerings = {}
        if args.app:
            async with runtime.engine.connect() as connection:
                offerings = await list_application_integrations(connection, application_id=args.app)
        rows: list[dict[str, Any]] = []
        for definition in runtime.catalog:
            row: dict[str, Any] = {
                "service_id": definition.service_id,
                "name": definition.name,
                "unified_api": definition.unified_api.value,
                "auth_type": definition.auth_type,
            }
            if args.app:
                offering = offerings.get(definition.service_id)
                row["enabled"] = bool(offering and offering.enabled)
                if definition.auth_type == "oauth2":
                    row["oauth_client_configured"] = bool(offering and offering.has_oauth_client_secret)
            rows.append(row)
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps(rows))
        return 0
    for row in rows:
        flags = []
        if "enabled" in row:
            flags.append("enabled" if row["enabled"] else "off")
        if row.get("oauth_client_configured") is False:
            flags.append("needs set-oauth")
        print(
            f"{row['service_id']:<16} {row['unified_api']:<13} {row['auth_type']:<7} {row['name']}  {' '.join(flags)}"
        )
    return 0
