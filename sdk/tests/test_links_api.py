"""``sdk.links`` against the real server: over a socket (sync) and in-process (async)."""

from __future__ import annotations

import httpx
import pytest

from vaultline_sdk import SDK, AsyncSDK, NotFoundError, UnprocessableEntityError
from vaultline_sdk.models import shared


@pytest.mark.slow
def test_create_list_get_revoke_over_a_socket(sdk: SDK) -> None:
    consumer = "links-sync"
    created = sdk.links.create(consumer, shared.VaultLinkRequest(expires_in=3600, single_use=False))
    second = sdk.links.create(consumer)
    assert created.url.startswith(sdk.server_url + "/link/vl_link_") and created.id.startswith("lnk_")

    opened = httpx.get(created.url, follow_redirects=False)  # the URL opens the vault
    assert opened.status_code == 303 and opened.headers["location"].endswith("/integrations")

    assert [link.id for link in sdk.links.list(consumer, limit=1)] == [second.id, created.id]
    details = sdk.links.get(created.id)
    assert details.state == shared.LinkState.ACTIVE and details.single_use is False and details.open_count == 1
    assert (details.expires_at - details.created_at).total_seconds() == 3600

    revoked = sdk.links.revoke(created.id)
    assert revoked.state == "revoked" and revoked.revoked_at is not None
    assert httpx.get(created.url, follow_redirects=False).status_code == 410
    with pytest.raises(NotFoundError):
        sdk.links.get("lnk_AAAAAAAAAAAAAAAA")


async def test_async_in_process_create_and_errors(async_sdk: AsyncSDK) -> None:
    created = await async_sdk.links.create("links-async", shared.VaultLinkRequest(locale="nl"))
    details = await async_sdk.links.get(created.id)
    assert details.locale == "nl" and details.single_use is True and details.bound is False
    page = await async_sdk.links.list("links-async")
    assert [link.id async for link in page] == [created.id]
    with pytest.raises(UnprocessableEntityError) as caught:  # this server has no VAULTLINE_SMTP_URL
        await async_sdk.links.create("links-async", shared.VaultLinkRequest(send_to="person@example.com"))
    assert "VAULTLINE_SMTP_URL" in str(caught.value.body)
    assert (await async_sdk.links.revoke(created.id)).state == shared.LinkState.REVOKED


def test_the_request_model_refuses_what_the_server_would() -> None:
    with pytest.raises(ValueError):
        shared.VaultLinkRequest(expires_in=8 * 24 * 3600)
    with pytest.raises(ValueError):
        shared.VaultLinkRequest(unknown=True)  # type: ignore[call-arg]
    wire = shared.VaultLinkRequest(expires_in=600, settings=shared.SessionSettings(session_length="2h")).to_wire()
    assert wire == {"expires_in": 600, "settings": {"session_length": "2h"}}
