"""Reading consumer logs in tests: wait for the log writer, then ask ``GET /vault/logs``."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from vaultline.runtime import Runtime


async def flush_logs(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    await runtime.consumer_logs.flush()


async def read_logs(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], params: Any = None
) -> list[dict[str, Any]]:
    """The first page (limit 200) of the logs ``headers`` may read; asserts a 200."""
    await flush_logs(app)
    response = await client.get("/vault/logs", headers=headers, params=params or {"limit": 200})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data
