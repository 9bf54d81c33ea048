"""``sdk.consumers`` against the real server."""

from __future__ import annotations

import pytest

from vaultline_sdk import SDK, AsyncSDK, ConflictError, NotFoundError
from vaultline_sdk.models import shared


async def test_consumer_lifecycle_in_process(async_sdk: AsyncSDK) -> None:
    created = await async_sdk.consumers.create("acme", metadata=shared.ConsumerMetadata(account_name="Acme"))
    assert created.consumer_id == "acme" and created.metadata == shared.ConsumerMetadata(account_name="Acme")
    assert created.created is not None and created.connections == []

    with pytest.raises(ConflictError) as conflict:
        await async_sdk.consumers.create("acme")
    assert conflict.value.status_code == 409

    updated = await async_sdk.consumers.update("acme", metadata=shared.ConsumerMetadata(user_name="Wile"))
    assert updated.metadata is not None and updated.metadata.user_name == "Wile"
    assert (await async_sdk.consumers.get("acme")).metadata == updated.metadata

    assert (await async_sdk.consumers.delete("acme")).consumer_id == "acme"
    with pytest.raises(NotFoundError):
        await async_sdk.consumers.get("acme")


async def test_deleting_a_consumer_revokes_its_sessions(async_sdk: AsyncSDK) -> None:
    token = (await async_sdk.sessions.create("leaving")).session_token
    jti = (await async_sdk.sessions.verify_token(token)).jti
    await async_sdk.consumers.delete("leaving")
    assert (await async_sdk.sessions.get(jti)).state == "revoked"


async def test_ids_with_spaces_and_at_signs_stay_one_path_segment(async_sdk: AsyncSDK) -> None:
    odd = "jane doe@example.com?x=1#y"
    await async_sdk.consumers.create(odd)
    assert (await async_sdk.consumers.get(odd)).consumer_id == odd


async def test_pagination_walks_every_page(async_sdk: AsyncSDK) -> None:
    names = [f"c{i:02d}" for i in range(5)]
    for name in names:
        await async_sdk.consumers.create(name)
    page = await async_sdk.consumers.list(limit=2)
    assert len(page.data) == 2
    assert sorted([c.consumer_id async for c in page]) == names


@pytest.mark.slow
def test_sync_client_over_a_socket(sdk: SDK) -> None:
    sdk.consumers.create("sync-consumer", metadata=shared.ConsumerMetadata(email="a@b.c"))
    assert "sync-consumer" in [c.consumer_id for c in sdk.consumers.list(limit=1)]
    assert sdk.consumers.get("sync-consumer").metadata == shared.ConsumerMetadata(email="a@b.c")
    sdk.consumers.delete("sync-consumer")
