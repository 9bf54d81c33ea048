"""Vault links through the real `vaultline` command and server: `links create/list/revoke`, and
an emailed link whose message survives a kill -9 of the server while the SMTP server is down,
then arrives once both are back."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.support.live_server import create_app_via_cli, env_for, live_server, run_cli
from tests.support.smtp import SmtpServer
from vaultline.config import Settings
from vaultline.db.engine import create_engine
from vaultline.db.schema import email_outbox

pytestmark = pytest.mark.slow


def test_links_create_list_and_revoke_from_the_command_line(settings: Settings) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "CLI SaaS")["application_id"]
    created = json.loads(
        run_cli(env, "links", "create", "--app", app_id, "--consumer", "carol", "--expires-in", "3600", "--json").stdout
    )
    assert created["id"].startswith("lnk_") and "/link/vl_link_" in created["url"]
    assert created["state"] == "active" and created["single_use"] is True
    plain = run_cli(env, "links", "create", "--app", app_id, "--consumer", "carol", "--multi-use").stdout
    assert plain.splitlines()[0].startswith(settings.public_url + "/link/vl_link_")

    listed = json.loads(run_cli(env, "links", "list", "--app", app_id, "--consumer", "carol", "--json").stdout)
    assert len(listed) == 2 and all("url" not in link for link in listed)
    assert created["url"] not in run_cli(env, "links", "list", "--app", app_id, "--consumer", "carol").stdout

    revoked = json.loads(run_cli(env, "links", "revoke", "--app", app_id, created["id"], "--json").stdout)
    assert revoked["state"] == "revoked"
    with live_server(settings) as server:
        secret_path = "/link/" + created["url"].rsplit("/", 1)[1]
        page = httpx.get(server.url + secret_path, follow_redirects=False)
    assert page.status_code == 410 and "withdrawn" in page.text

    refused = run_cli(
        env, "links", "create", "--app", app_id, "--consumer", "carol", "--send-to", "c@x.example", check=False
    )
    assert refused.returncode == 1 and "VAULTLINE_SMTP_URL" in refused.stderr and "Traceback" not in refused.stderr
    bad = run_cli(
        env, "links", "create", "--app", app_id, "--consumer", "carol", "--expires-in", "9999999", check=False
    )
    assert bad.returncode == 1 and "expires_in" in bad.stderr
    unknown = run_cli(env, "links", "revoke", "--app", app_id, "lnk_nope", check=False)
    assert unknown.returncode == 1 and "no link" in unknown.stderr


async def _read_outbox(settings: Settings) -> list[dict[str, Any]]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return [dict(row._mapping) for row in await connection.execute(select(email_outbox))]
    finally:
        await engine.dispose()


def _outbox_when(settings: Settings, predicate: Any, *, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = asyncio.run(_read_outbox(settings))
        if predicate(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"email outbox not in the expected state after {timeout} s: {rows}")
        time.sleep(0.05)


def test_a_pending_email_survives_a_kill_9_and_is_sent_after_restart(settings: Settings) -> None:
    smtp = SmtpServer()  # nothing listens on its port until later: the SMTP server is down
    fast = {
        "VAULTLINE_SMTP_URL": smtp.url(sender="vault@saas.test"),
        "VAULTLINE_EMAIL_RETRY_BASE_SECONDS": "1.5",
        "VAULTLINE_EMAIL_TIMEOUT_SECONDS": "2",
    }
    env = env_for(settings, **fast)
    created = create_app_via_cli(env, "Killable SaaS")
    headers = {
        "Authorization": f"Bearer {created['api_key']}",
        "x-apideck-app-id": created["application_id"],
        "x-apideck-consumer-id": "alice",
    }
    with live_server(settings, **fast) as server:
        response = httpx.post(f"{server.url}/vault/links", headers=headers, json={"send_to": "alice@example.com"})
        assert response.status_code == 201, response.text
        link = response.json()["data"]
        _outbox_when(settings, lambda rows: rows and rows[0]["attempts"] >= 1, timeout=10)
        server.process.kill()  # SIGKILL: no shutdown, nothing flushed
        server.process.wait(timeout=10)

    [pending] = asyncio.run(_read_outbox(settings))
    assert pending["status"] == "pending" and pending["message_sealed"] and pending["sent_at"] is None

    smtp.start()
    try:
        with live_server(settings, port=int(link["url"].split(":")[2].split("/")[0]), **fast):
            [email] = smtp.wait_for(1, timeout=30)
            rows = _outbox_when(settings, lambda rows: rows[0]["status"] == "sent", timeout=10)
    finally:
        smtp.stop()
    assert email.recipients == ["alice@example.com"] and email.link() == link["url"]
    assert rows[0]["attempts"] >= 2 and rows[0]["message_sealed"] is None
