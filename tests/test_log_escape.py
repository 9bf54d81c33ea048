"""Request data never writes raw control characters into a log line (log injection)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.log_escape import escape_for_log

# CR LF, ESC, NUL, DEL, C1 NEXT LINE, LINE SEPARATOR, PARAGRAPH SEPARATOR, RIGHT-TO-LEFT OVERRIDE.
HOSTILE_PATH = "/nope%0D%0AFAKE%20LINE%1b[31m%00%7F%C2%85%E2%80%A8%E2%80%A9%E2%80%AE"
UNSAFE = "\r\n\x1b\x00\x7f\x85\u2028\u2029\u202e"


@pytest.fixture
async def logging_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(data_dir=tmp_path, public_url="http://vault.test", access_log=True))
    async with application.router.lifespan_context(application):
        yield application


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == logger]


async def test_control_characters_in_the_path_are_escaped_in_the_access_log(
    logging_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=logging_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vault.test") as client:
        with caplog.at_level(logging.INFO, logger="vaultline.access"):
            response = await client.get(HOSTILE_PATH)
    assert response.status_code == 400  # nul_guard refuses the %00 before routing; still logged
    [line] = messages(caplog, "vaultline.access")
    assert not set(UNSAFE) & set(line), repr(line)
    assert line.startswith("GET /nope\\x0d\\x0aFAKE LINE\\x1b[31m\\x00\\x7f\\x85\\u2028\\u2029\\u202e 400 ")


async def test_control_characters_in_the_path_are_escaped_in_the_unhandled_error_log(
    logging_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(rest: str) -> None:
        raise RuntimeError(f"a bug while handling {len(rest)} characters")

    logging_app.add_api_route("/test-only/broken/{rest}", broken, methods=["GET"])
    transport = httpx.ASGITransport(app=logging_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://vault.test") as client:
        with caplog.at_level(logging.INFO):
            # Without the NUL, which nul_guard would refuse before the route runs.
            response = await client.get("/test-only/broken" + HOSTILE_PATH.replace("%00", ""))
    assert response.status_code == 500
    [line] = messages(caplog, "vaultline.app")
    assert not set(UNSAFE) & set(line), repr(line)
    assert "/test-only/broken/nope\\x0d\\x0aFAKE LINE" in line


def test_escape_for_log_keeps_ordinary_text_and_escapes_the_rest() -> None:
    assert escape_for_log("/vault/connections/crm+pipedrive?été") == "/vault/connections/crm+pipedrive?été"
    assert escape_for_log("a\tb\\c\u200bd\U000e0001") == "a\\x09b\\\\c\\u200bd\\U000e0001"
    # An escape in the log always stands for one in the request: a literal backslash is doubled.
    assert escape_for_log("\\x0a") == "\\\\x0a" != escape_for_log("\n")
