"""``sdk.logs`` against the real server in-process (async), and the sync client's query string."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from vaultline.runtime import Runtime
from vaultline_sdk import AsyncSDK, BadRequestError, NotFoundError
from vaultline_sdk.models import shared

CONSUMER = "logs-consumer"


async def _flush(server_app: FastAPI) -> None:
    runtime: Runtime = server_app.state.runtime
    await runtime.consumer_logs.flush()  # the server writes logs in the background


@pytest.fixture
async def logged_calls(async_sdk: AsyncSDK, server_app: FastAPI) -> None:
    """Four logged calls for CONSUMER, oldest first: two mints, a list, a 404."""
    await async_sdk.sessions.create(CONSUMER)
    await async_sdk.sessions.create(CONSUMER)
    await async_sdk.connections.list(CONSUMER, api="crm")
    with pytest.raises(NotFoundError):
        await async_sdk.connections.get(CONSUMER, "crm", "nosuch")
    await async_sdk.sessions.create("someone-else")
    await _flush(server_app)


@pytest.mark.usefixtures("logged_calls")
async def test_list_returns_the_consumers_calls_newest_first(async_sdk: AsyncSDK) -> None:
    page = await async_sdk.logs.list(CONSUMER)
    assert [(log.http_method, log.path, log.status_code) for log in page.data] == [
        ("GET", "/vault/connections/crm/nosuch", 404),
        ("GET", "/vault/connections", 200),
        ("POST", "/vault/sessions", 200),
        ("POST", "/vault/sessions", 200),
    ]
    newest = page.data[0]
    assert isinstance(newest, shared.Log) and newest.consumer_id == CONSUMER and newest.success is False
    assert newest.operation == shared.LogOperation(id="connectionsOne", name="Get connection")
    assert page.data[-1].operation == shared.LogOperation(id="sessionsCreate", name="Create Session")
    assert page.data[-1].service.id == "vault" and page.data[-1].unified_api == "vault"
    assert not page.has_next_page()


@pytest.mark.usefixtures("logged_calls")
async def test_limit_two_paginates_across_every_page(async_sdk: AsyncSDK) -> None:
    first = await async_sdk.logs.list(CONSUMER, limit=2)
    assert len(first.data) == 2 and first.has_next_page()
    every = [log async for log in first]
    assert len(every) == 4 and len({log.id for log in every}) == 4
    assert [log.timestamp for log in every] == sorted((log.timestamp for log in every), reverse=True)
    pages = [p async for p in (await async_sdk.logs.list(CONSUMER, limit=2)).iter_pages()]
    assert [len(p.data) for p in pages] == [2, 2]


@pytest.mark.usefixtures("logged_calls")
async def test_filters_as_a_model_or_a_dict(async_sdk: AsyncSDK) -> None:
    as_model = await async_sdk.logs.list(CONSUMER, filter=shared.LogsFilter(status_code=404))
    assert [log.status_code for log in as_model.data] == [404]
    as_dict = await async_sdk.logs.list(CONSUMER, filter={"http_methods": ["POST"], "path": "/vault/sessions"})
    assert [log.http_method for log in as_dict.data] == ["POST", "POST"]
    paged = [log async for log in await async_sdk.logs.list(CONSUMER, filter={"http_method": "POST"}, limit=1)]
    assert len(paged) == 2  # the filter is kept on every following page
    with pytest.raises(BadRequestError):
        await async_sdk.logs.list(CONSUMER, filter={"no_such_key": "x"})
    with pytest.raises(ValueError):
        shared.LogsFilter(no_such_key="x")  # type: ignore[call-arg]
