"""The `vaultline` command, run as a user runs it, against both backends, also while a
server is running on the same database."""

from __future__ import annotations

import json
import stat
import time

import httpx
import jwt
import pytest

from tests.support.live_server import create_app_via_cli, env_for, live_server, run_cli
from vaultline.config import Settings

pytestmark = pytest.mark.slow


def mint(url: str, app: dict[str, str], consumer: str = "cli-consumer") -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {app['api_key']}",
        "x-apideck-app-id": app["application_id"],
        "x-apideck-consumer-id": consumer,
    }
    return httpx.post(f"{url}/vault/sessions", headers=headers, timeout=10)


def test_apps_create_json_prints_exactly_one_object(settings: Settings) -> None:
    env = env_for(settings)
    result = run_cli(
        env, "apps", "create", "--name", "Acme", "--json",
        "--redirect-origin", "https://acme.example/path", "--embed-origin", "https://app.acme.example:8443",
    )  # fmt: skip
    created = json.loads(result.stdout)  # fails if anything but one JSON document is printed
    assert created["application_id"].startswith("app_") and created["api_key"].startswith("vl_live_")
    assert created["redirect_origins"] == ["https://acme.example"]
    assert created["embed_origins"] == ["https://app.acme.example:8443"]
    listed = json.loads(run_cli(env, "apps", "list", "--json").stdout)
    (row,) = [r for r in listed if r["application_id"] == created["application_id"]]
    assert row["name"] == "Acme" and row["api_keys"] == [created["api_key"][:14] + "…"]
    assert created["api_key"] not in run_cli(env, "apps", "list").stdout  # the key itself is never shown again


def test_apps_create_rejects_a_bad_origin(settings: Settings) -> None:
    result = run_cli(env_for(settings), "apps", "create", "--name", "X", "--redirect-origin", "mysaas.com", check=False)
    assert result.returncode == 1 and "not an http(s) origin" in result.stderr and "Traceback" not in result.stderr


def test_rotate_key_of_unknown_app_is_a_clear_error(settings: Settings) -> None:
    result = run_cli(env_for(settings), "apps", "rotate-key", "app_nope", check=False)
    assert result.returncode == 1 and "no application" in result.stderr


def test_cli_works_while_the_server_runs(settings: Settings) -> None:
    with live_server(settings, VAULTLINE_API_KEY_CACHE_SECONDS="0.2", VAULTLINE_KEY_REFRESH_SECONDS="0.2") as server:
        app = create_app_via_cli(server.env, "Live")
        first = mint(server.url, app)
        assert first.status_code == 200
        old_kid = jwt.get_unverified_header(first.json()["data"]["session_token"])["kid"]

        # rotate-key: the new key works at once, the old one stops within the cache time.
        rotated = json.loads(run_cli(server.env, "apps", "rotate-key", app["application_id"], "--json").stdout)
        new_app = {**app, "api_key": rotated["api_key"]}
        assert mint(server.url, new_app).status_code == 200
        time.sleep(0.5)
        refused = mint(server.url, app)
        assert refused.status_code == 401 and refused.json()["status_code"] == 401

        # keys rotate: the running server signs with the new key within seconds.
        run_cli(server.env, "keys", "rotate")
        deadline = time.monotonic() + 5
        while True:
            kid = jwt.get_unverified_header(mint(server.url, new_app).json()["data"]["session_token"])["kid"]
            if kid != old_kid:
                break
            assert time.monotonic() < deadline, "server still signs with the old key"
            time.sleep(0.1)
        kids = {k["kid"] for k in httpx.get(f"{server.url}/.well-known/jwks.json").json()["keys"]}
        assert {old_kid, kid} <= kids
        assert "signing" in run_cli(server.env, "keys", "list").stdout


def test_postgres_without_master_key_is_refused(settings: Settings) -> None:
    if settings.backend != "postgresql":
        pytest.skip("PostgreSQL-only behaviour")
    env = env_for(settings)
    del env["VAULTLINE_MASTER_KEY"]
    result = run_cli(env, "apps", "list", check=False)
    assert result.returncode == 2
    assert "VAULTLINE_MASTER_KEY" in result.stderr and "Traceback" not in result.stderr


def test_invalid_master_key_is_refused_clearly(settings: Settings) -> None:
    result = run_cli(env_for(settings, VAULTLINE_MASTER_KEY="too-short"), "apps", "list", check=False)
    assert result.returncode == 2 and "32 bytes" in result.stderr


def test_generated_master_key_is_owner_only(settings: Settings) -> None:
    if settings.backend != "sqlite":
        pytest.skip("the key file exists on the embedded default only")
    run_cli(env_for(settings), "apps", "list")
    key_file = settings.data_dir / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    generated = run_cli(env_for(settings), "keys", "generate-master").stdout.strip()
    assert len(generated) == 43 and generated != key_file.read_text()
