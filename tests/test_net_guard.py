"""Webhook (and OAuth) URLs reaching inside the operator's network are refused unless allowed."""

from __future__ import annotations

import pytest

from tests.support.live_server import create_app_via_cli, env_for, run_cli
from vaultline.config import Settings
from vaultline.net_guard import UnsafeUrl, check_public_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
    ],
)
async def test_private_loopback_link_local_and_reserved_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="VAULTLINE_ALLOW_PRIVATE_WEBHOOKS"):
        await check_public_url(url, allow_private=False)
    await check_public_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http:///x", "https://u:p@example.com/"])
async def test_only_plain_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await check_public_url(url, allow_private=True)


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 wrapping 192.168.1.1
        "2002:a9fe:a9fe::",  # 6to4 wrapping the cloud metadata address
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001::1",
        "64:ff9b::7f00:1",  # NAT64 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "::8.8.8.8",  # IPv4-compatible is deprecated even around a public address
        "192.0.0.8",  # IETF protocol assignments, 192.0.0.0/24
        "192.0.0.9",
        "192.0.0.170",
    ],
)
async def test_transition_addresses_wrapping_internal_hosts_and_ietf_assignments_are_refused(address: str) -> None:
    url = f"http://[{address}]/hook" if ":" in address else f"http://{address}/hook"
    with pytest.raises(UnsafeUrl, match="VAULTLINE_ALLOW_PRIVATE_WEBHOOKS"):
        await check_public_url(url, allow_private=False)


@pytest.mark.parametrize("address", ["2002:5db8:d70e::1", "64:ff9b::5db8:d70e", "::ffff:93.184.215.14"])
async def test_transition_addresses_of_a_public_host_pass(address: str) -> None:
    """6to4, NAT64 (an IPv6-only network's DNS64 answers) and IPv4-mapped forms of 93.184.215.14."""
    await check_public_url(f"https://[{address}]/hooks", allow_private=False)


async def test_a_public_address_passes() -> None:
    await check_public_url("https://93.184.215.14/hooks", allow_private=False)
    await check_public_url("https://[2606:4700::6810:84e5]/hooks", allow_private=False)


def test_the_cli_refuses_a_loopback_webhook_without_the_flag(settings: Settings) -> None:
    env = env_for(settings)
    app_id = create_app_via_cli(env, "Guarded")["application_id"]
    refused = run_cli(env, "apps", "webhook", app_id, "--url", "http://127.0.0.1:9/hook", check=False)
    assert refused.returncode == 1
    assert "refused" in refused.stderr and "VAULTLINE_ALLOW_PRIVATE_WEBHOOKS=true" in refused.stderr
    allowed = run_cli(
        {**env, "VAULTLINE_ALLOW_PRIVATE_WEBHOOKS": "true"},
        "apps",
        "webhook",
        app_id,
        "--url",
        "http://127.0.0.1:9/hook",
    )
    assert "shown once" in allowed.stdout
