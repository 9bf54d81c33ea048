"""``vaultline demo``: a new Hosted Vault link for the demo consumer, on demand.

``serve`` prints one only on the start that creates the demo: a live one-hour link in every
restart's output would end up in logs.
"""

from __future__ import annotations

import argparse

from vaultline.cli.errors import CommandError
from vaultline.cli.served_url import with_served_url
from vaultline.config import Settings
from vaultline.demo import find_demo, mint_demo_session
from vaultline.runtime import Runtime


async def demo(settings: Settings, args: argparse.Namespace) -> int:
    settings = with_served_url(settings, args.host, args.port)
    if settings.database_url is None and not settings.sqlite_path.exists():
        # Run from another directory, the relative default data dir is not the server's: say
        # so, rather than create an empty database there.
        raise CommandError(
            f"no Vaultline database at {settings.sqlite_path.absolute()}: run this in the directory "
            "`vaultline serve` runs in, or set VAULTLINE_DATA_DIR to its data directory"
        )
    runtime = await Runtime.open(settings, background=False)
    try:
        application = await find_demo(runtime)
        if application is None:
            raise CommandError(
                "there is no demo application: `vaultline serve` creates one only on an empty embedded "
                "database. Mint a session with your application's API key: POST /vault/sessions"
            )
        session = await mint_demo_session(runtime, application)
    finally:
        await runtime.close()
    print("Open the Hosted Vault as the demo consumer (this link works for 1 hour):")
    print(f"  {session.uri}")
    return 0
