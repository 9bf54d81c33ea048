"""Headless Chromium for the Hosted Vault tests: Debian's /usr/bin/chromium driven by
Playwright (its own browser download is not used), and small static sites on other loopback
ports that stand for the SaaS pages embedding Vault JS."""

from __future__ import annotations

import copy
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.seed_example import SEED_SESSION_BODY
from tests.support.live_server import free_port
from vaultline.config import Settings

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "docs" / "example"


def chromium_path() -> str | None:
    configured = os.environ.get("VAULTLINE_CHROMIUM")
    if configured:
        return configured
    return next((path for path in CHROMIUM_CANDIDATES if Path(path).exists()), None) or shutil.which("chromium")


def unavailable(reason: str) -> None:
    """Browser tests are required under CI=true, optional (skipped with the reason) locally."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run under CI=true: {reason}")
    pytest.skip(reason)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def static_site(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free loopback port (a different port is a different origin)."""
    port = free_port()
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"static-site-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Vault:
    url: str
    application_id: str
    api_key: str
    settings: Settings
    example_url: str  # an allowed embedding origin, serving docs/example
    hostile_url: str  # the same page on an origin not in the allowlist

    def headers(self, consumer_id: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key}",
            "x-apideck-app-id": self.application_id,
            "x-apideck-consumer-id": consumer_id,
        }

    def mint(self, consumer_id: str, body: dict[str, Any] | None = None) -> dict[str, str]:
        response = httpx.post(f"{self.url}/vault/sessions", headers=self.headers(consumer_id), json=body or {})
        assert response.status_code == 200, response.text
        data: dict[str, str] = response.json()["data"]
        return data


def seed_body(**settings: Any) -> dict[str, Any]:
    """The seeds' example body, with some settings changed."""
    body = copy.deepcopy(SEED_SESSION_BODY)
    body["settings"].update(settings)
    return body


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
