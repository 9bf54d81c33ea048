"""A real OAuth 2 / OpenID provider on loopback for the OAuth tests: panva's ``oidc-provider``
(tests/oidc/provider.js), started with ``node`` and driven like a person would (its built-in
login and consent pages). ``npm ci --prefix tests/oidc`` (scripts/test) installs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.support.live_server import free_port

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
SERVICE_ID = "loopback-oidc"
CLIENT_ID = "vaultline-test-client"
CLIENT_SECRET = "vaultline-test-client-secret-0123456789"


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    syncs: int = 0

    def events(self, name: str, detail: str | None = None) -> int:
        """How many ``EVENT name detail`` lines the provider printed before this call. Our HTTP
        answer can arrive before the reader thread has seen the lines the provider printed while
        answering us, so this first waits for a barrier line the provider prints on request."""
        self._read_up_to_now()
        prefix = f"EVENT {name}" + (f" {detail}" if detail else "")
        return sum(1 for line in list(self.lines) if line.startswith(prefix))

    def _read_up_to_now(self) -> None:
        self.syncs += 1
        marker, start = f"SYNC {self.syncs}", len(self.lines)
        try:
            httpx.get(f"{self.issuer}/__sync", params={"n": self.syncs}, timeout=5)
        except httpx.HTTPError:
            return  # the provider is gone: what was read is all there will be
        deadline = time.monotonic() + 10
        while marker not in self.lines[start:] and time.monotonic() < deadline:
            time.sleep(0.002)

    def events_once_printed(self, name: str, detail: str | None, expected: int, *, within: float = 10.0) -> int:
        """``events``, after giving the provider's output up to ``within`` seconds to show
        ``expected`` of them: our HTTP answer can arrive before the reader thread has seen the
        line the provider printed while answering us."""
        deadline = time.monotonic() + within
        while (count := self.events(name, detail)) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return count

    def catalog(self, *, token_url: str | None = None) -> dict[str, object]:
        return {
            "integrations": [
                {
                    "service_id": SERVICE_ID,
                    "name": "Loopback OIDC",
                    "unified_api": "crm",
                    "auth_type": "oauth2",
                    "oauth": {
                        "authorize_url": f"{self.issuer}/auth",
                        "token_url": token_url or f"{self.issuer}/token",
                        "revoke_url": f"{self.issuer}/token/revocation",
                        "default_scopes": ["openid", "contacts.read"],
                    },
                }
            ]
        }

    def write_catalog(self, path: Path, **kwargs: str | None) -> Path:
        path.write_text(json.dumps(self.catalog(**kwargs)))
        return path


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the OAuth provider must run under CI=true: {reason}")
    pytest.skip(reason)


@contextmanager
def oidc_provider(redirect_uris: list[str]) -> Iterator[OidcProvider]:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        _unavailable("oidc-provider is not installed: run npm ci --prefix tests/oidc (scripts/test does)")
    port = free_port()
    process = subprocess.Popen(
        [str(node), "provider.js", str(port), CLIENT_ID, CLIENT_SECRET, *redirect_uris],
        cwd=OIDC_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    provider = OidcProvider(f"http://127.0.0.1:{port}", process)
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            provider.lines.append(line.strip())
            if line.startswith("READY"):
                ready.set()

    reader = threading.Thread(target=read, name="oidc-provider-stdout", daemon=True)
    reader.start()
    try:
        if not ready.wait(30):
            raise AssertionError("oidc-provider did not start in 30 s")
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        if process.stdout:
            process.stdout.close()


def _form_action(page: httpx.Response) -> str:
    match = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert match, page.text[:500]
    return urljoin(str(page.url), match.group(1))


async def consent_as_person(authorize_url: str, *, deny: bool = False, login: str = "alice") -> str:
    """Follow the provider's authorize URL through its login and consent pages (or press
    Cancel); returns the URL it finally sends the browser to (our /vault/callback?…)."""
    async with httpx.AsyncClient(timeout=10, trust_env=False) as browser:
        url = authorize_url
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            response = await browser.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                if "/vault/callback" in url:
                    return url
                continue
            if deny:
                url = urljoin(url, re.sub(r"/?$", "/abort", httpx.URL(url).path))
                continue
            form = (
                {"prompt": "login", "login": login, "password": "any"}
                if 'name="login"' in response.text
                else {"prompt": "consent"}
            )
            posted = await browser.post(_form_action(response), data=form)
            assert posted.is_redirect, posted.text[:500]
            url = urljoin(url, posted.headers["location"])
            if "/vault/callback" in url:
                return url
        raise AssertionError("the provider never sent the browser back")
