"""`vaultline integrations …` and `vaultline keys rotate-master`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess

import pytest
from fastapi import FastAPI

from tests.support.live_server import VAULTLINE, create_app_via_cli, env_for, run_cli
from tests.support.oauth import client_for, running_app
from vaultline.config import Settings
from vaultline.crypto.master_key import MASTER_KEY_FILE, generate_master_key_text
from vaultline.demo import ensure_demo
from vaultline.store.integrations import list_application_integrations

pytestmark = pytest.mark.slow


def offered(env: dict[str, str], app_id: str) -> dict[str, dict[str, object]]:
    rows = json.loads(run_cli(env, "integrations", "list", "--app", app_id, "--json").stdout)
    return {row["service_id"]: row for row in rows}


def test_list_enable_disable(settings: Settings) -> None:
    env = env_for(settings)
    catalog = json.loads(run_cli(env, "integrations", "list", "--json").stdout)
    assert len(catalog) >= 20 and len({row["unified_api"] for row in catalog}) >= 4
    app_id = create_app_via_cli(env, "CLI SaaS")["application_id"]
    assert not any(row["enabled"] for row in offered(env, app_id).values())
    run_cli(env, "integrations", "enable", "--app", app_id, "pipedrive", "deel")
    run_cli(env, "integrations", "disable", "--app", app_id, "deel")
    rows = offered(env, app_id)
    assert rows["pipedrive"]["enabled"] is True and rows["deel"]["enabled"] is False
    run_cli(env, "integrations", "enable", "--app", app_id, "--all")
    assert all(row["enabled"] for row in offered(env, app_id).values())


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["enable", "--app", "APP", "nope"], "not in the catalog"),
        (["enable", "--app", "APP"], "--all"),
        (["enable", "--app", "app_unknown", "pipedrive"], "no application"),
        (["set-oauth", "--app", "APP", "pipedrive", "--client-id", "c", "--client-secret", "s"], "not an OAuth 2"),
        (["disconnect-url", "--app", "APP", "pipedrive"], "not an OAuth 2"),
        (["disconnect-url", "--app", "app_unknown", "hubspot"], "no application"),
    ],
)
def test_mistakes_are_one_clear_line(settings: Settings, args: list[str], complaint: str) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "CLI SaaS")["application_id"]
    result = run_cli(env, "integrations", *[app_id if a == "APP" else a for a in args], check=False)
    assert result.returncode == 1 and complaint in result.stderr and "Traceback" not in result.stderr


def test_set_oauth_reads_the_secret_from_stdin_and_never_prints_it(settings: Settings) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "CLI SaaS")["application_id"]
    command = [VAULTLINE, "integrations", "set-oauth", "--app", app_id, "hubspot", "--client-id", "cid"]
    result = subprocess.run(
        [*command, "--client-secret", "-"], env=env, input="s3cret-value\n", capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "s3cret-value" not in result.stdout and "/vault/callback" in result.stdout
    assert offered(env, app_id)["hubspot"]["oauth_client_configured"] is True


async def test_disconnect_url_is_honoured_by_the_server(settings: Settings) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "CLI SaaS")["application_id"]
    printed = run_cli(env, "integrations", "disconnect-url", "--app", app_id, "hubspot", "--consumer", "c1").stdout
    url = printed.splitlines()[0]
    assert url.startswith(f"{settings.public_url}/vault/oauth/disconnect/") and url.endswith("/hubspot")
    async with running_app(settings) as application, client_for(application) as client:
        page = await client.get(url.removeprefix(settings.public_url))
        assert page.status_code == 200 and "HubSpot is disconnected" in page.text
        tampered = await client.get(url.removeprefix(settings.public_url).replace("/hubspot", "/salesforce"))
        assert tampered.status_code == 400


def test_rotate_master_with_new_first_in_the_environment(settings: Settings) -> None:
    if settings.master_key is None:
        pytest.skip("the environment flow is for VAULTLINE_MASTER_KEY (PostgreSQL here)")
    env = env_for(settings)
    app_id = create_app_via_cli(env, "Before rotation")["application_id"]
    run_cli(env, "integrations", "set-oauth", "--app", app_id, "xero", "--client-id", "c", "--client-secret", "s")
    new = generate_master_key_text()
    both = {**env, "VAULTLINE_MASTER_KEY": f"{new},{settings.master_key.get_secret_value()}"}
    assert (
        run_cli(both, "keys", "rotate-master", "--generate", check=False).returncode == 1
    )  # no key file to write on this backend
    result = run_cli(both, "keys", "rotate-master", "--batch-size", "1")
    assert "drop the old key" in result.stdout
    only_new = {**env, "VAULTLINE_MASTER_KEY": new}
    assert offered(only_new, app_id)["xero"]["oauth_client_configured"] is True
    create_app_via_cli(only_new, "After rotation")  # opens the re-wrapped server secret


def test_rotate_master_with_the_generated_key_file(settings: Settings) -> None:
    if settings.master_key is not None:
        pytest.skip("the key-file flow is the embedded SQLite default")
    env = env_for(settings)
    app_id = create_app_via_cli(env, "Before rotation")["application_id"]
    key_file = settings.data_dir / MASTER_KEY_FILE
    old = key_file.read_text()
    run_cli(env, "keys", "rotate-master", "--generate")
    keys = key_file.read_text().split(",")
    assert len(keys) == 2 and keys[1] == old
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    result = run_cli(env, "keys", "rotate-master")
    assert "Every stored secret is sealed under" in result.stdout
    assert key_file.read_text() == keys[0]
    assert "Before rotation" in run_cli(env, "apps", "list").stdout
    assert offered(env, app_id)["pipedrive"]["enabled"] is False


async def test_the_demo_application_offers_the_whole_catalog(app: FastAPI) -> None:
    runtime = app.state.runtime
    demo = await ensure_demo(runtime)
    assert demo is not None
    async with runtime.engine.connect() as connection:
        offerings = await list_application_integrations(connection, application_id=demo.application.id)
    assert {s for s, o in offerings.items() if o.enabled} == {d.service_id for d in runtime.catalog}
