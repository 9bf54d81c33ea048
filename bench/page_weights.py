"""Hosted Vault page weights and server render times: each page's HTML + CSS + JS bytes
(uncompressed; logos are external and not counted) and the median time the server takes to
answer it in-process (session verification and database reads included).

    python bench/page_weights.py [--renders 50] [--locale ja]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.store.api_keys import add_api_key
from vaultline.store.applications import create_application
from vaultline.store.integrations import set_integrations_enabled

PUBLIC_URL = "http://vault.bench"
SEED_BODY = {
    "consumer_metadata": {"account_name": "SpaceX", "user_name": "Elon Musk", "email": "elon@musk.com"},
    "redirect_uri": "https://mysaas.com/dashboard",
    "settings": {"unified_apis": ["crm"], "show_logs": True, "show_suggestions": True, "show_sidebar": True},
    "theme": {"vault_name": "Intercom", "primary_color": "#286efa", "sidepanel_background_color": "#286efa"},
}
PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"


async def measure(renders: int, locale: str = "en") -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        # verify_credentials off: the made-up token must not go to the real provider.
        settings = Settings(data_dir=Path(data_dir), public_url=PUBLIC_URL, access_log=False, verify_credentials=False)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            runtime: Runtime = app.state.runtime
            async with runtime.engine.begin() as connection:
                application = await create_application(connection, name="Bench SaaS")
                key = await add_api_key(connection, application_id=application.id, hash_key=runtime.api_key_hash_key)
                await set_integrations_enabled(
                    connection,
                    application_id=application.id,
                    service_ids=[d.service_id for d in runtime.catalog],
                    enabled=True,
                )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
                headers = {"Authorization": f"Bearer {key}", "x-apideck-consumer-id": "bench"}
                minted = await client.post("/vault/sessions", headers=headers, json=SEED_BODY)
                token = minted.json()["data"]["session_token"]
                opened = await client.get(f"/session/{token}", params={"locale": locale})
                base = "/".join(opened.headers["location"].split("/")[:3])
                await client.post(
                    f"{base}/integrations/crm/pipedrive/connect",
                    data={"api_token": PIPEDRIVE_TOKEN},
                    headers={"Origin": PUBLIC_URL},
                )
                pages = {
                    "integrations": f"{base}/integrations",
                    "connection (connected)": f"{base}/integrations/crm/pipedrive",
                    "connection (connect form)": f"{base}/integrations/crm/copper",
                    "suggestions": f"{base}/suggestions",
                    "logs": f"{base}/logs",
                    "error (invalid link)": f"/session/not-a-token?locale={locale}",
                }
                assets: dict[str, int] = {}
                print(f"{'page':28} {'HTML':>7} {'CSS':>7} {'JS':>7} {'total':>8} {'render p50':>11}")
                for name, url in pages.items():
                    first = await client.get(url)
                    html = first.content
                    sizes = {"css": 0, "js": 0}
                    for asset in re.findall(rb'(?:href|src)="(/hosted-static/[^"]+)"', html):
                        path = asset.decode()
                        if path not in assets:
                            assets[path] = len((await client.get(path)).content)
                        sizes["css" if path.endswith(".css") else "js"] += assets[path]
                    timings = []
                    for _ in range(renders):
                        started = time.perf_counter()
                        await client.get(url)
                        timings.append((time.perf_counter() - started) * 1000)
                    total = len(html) + sizes["css"] + sizes["js"]
                    print(
                        f"{name:28} {len(html):>7} {sizes['css']:>7} {sizes['js']:>7} {total:>8}"
                        f" {statistics.median(timings):>8.2f} ms"
                    )
                vault_js = len((await client.get("/vault.js")).content)
                print(f"{'vault.js (embedding page)':28} {'':>7} {'':>7} {vault_js:>7} {vault_js:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=50, help="renders per page for the median (default 50)")
    parser.add_argument("--locale", default="en", help="the pages' language: en nl fr de es ja (default en)")
    args = parser.parse_args()
    asyncio.run(measure(args.renders, args.locale))


if __name__ == "__main__":
    main()
