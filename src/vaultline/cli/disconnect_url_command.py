"""``vaultline integrations disconnect-url``: the address to register at a provider as its
"disconnect URL", so a disconnect on the provider's side reaches Vaultline
(``vaultOAuthDisconnect``, oauth/provider_disconnect.py)."""

from __future__ import annotations

import argparse

from vaultline.cli.errors import CommandError
from vaultline.cli.integrations_commands import open_for_app
from vaultline.config import Settings
from vaultline.oauth.provider_disconnect import DISCONNECT_TTL_SECONDS, disconnect_url, mint_disconnect_token


async def disconnect_url_command(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await open_for_app(settings, args.app)
    try:
        definition = runtime.catalog.get(args.service_id)
        if definition is None or definition.auth_type != "oauth2":
            raise CommandError(f"{args.service_id!r} is not an OAuth 2 integration in the catalog")
        token = mint_disconnect_token(
            runtime, application_id=args.app, service_id=args.service_id, consumer_id=args.consumer
        )
        url = disconnect_url(runtime, token, args.service_id)
    finally:
        await runtime.close()
    print(url)
    days = DISCONNECT_TTL_SECONDS // 86400
    print(f"Valid {days} days, and until the signing key that made it is retired by key rotation.")
    return 0
