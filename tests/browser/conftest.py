"""One Chromium, one `vaultline serve` (SQLite) and two "SaaS" sites for the whole browser run:
an allowed embedding origin and a hostile one. Each test mints its own sessions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import CHROMIUM_ARGS, EXAMPLE_DIR, Vault, chromium_path, static_site, unavailable
from tests.support.live_server import create_app_via_cli, live_server, run_cli
from vaultline.config import Settings


# Package scope: Playwright's sync API runs an event loop in this thread while it is started,
# so it must stop before the rest of the suite (whose fixtures call asyncio.run) goes on.
@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed (scripts/test installs it with apt-get)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    manager = sync_playwright().start()
    try:
        # Playwright gives each launch a fresh temporary profile (--user-data-dir) itself.
        browser = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000)
    except Exception as exc:  # the reason matters more than the type here
        manager.stop()
        unavailable(f"Chromium at {executable} did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        manager.stop()


@pytest.fixture(scope="package")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    data_dir: Path = tmp_path_factory.mktemp("browser-vault")
    settings = Settings(data_dir=data_dir, public_url="http://127.0.0.1:1", access_log=False)
    with static_site(EXAMPLE_DIR) as example_url, static_site(EXAMPLE_DIR) as hostile_url:
        with live_server(settings) as server:
            created = create_app_via_cli(server.env, "Intercom demo", "--embed-origin", example_url)
            run_cli(server.env, "integrations", "enable", "--app", created["application_id"], "--all")
            yield Vault(server.url, created["application_id"], created["api_key"], settings, example_url, hostile_url)


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1200, "height": 860})
    context.set_default_timeout(10_000)
    # The machine has no internet: fail theme logos and favicons at once instead of waiting on DNS.
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda route: route.abort())
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"JavaScript errors on {request.node.name}: {errors}"
