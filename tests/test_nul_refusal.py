"""A NUL character in a URL never reaches SQL: PostgreSQL refuses it in a text parameter with
an error (it was a 500 with a traceback). Refused with a 400 in the error shape on both backends,
and with the friendly page on Hosted Vault paths."""

from __future__ import annotations

import base64

import httpx
import pytest
from starlette.datastructures import QueryParams

from tests.support.fuzz import assert_error_shape
from tests.support.tenants import Tenant
from vaultline.consumer_logs.filters import parse_logs_filter
from vaultline.errors import BadRequest


def cursor_of(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


async def test_nul_in_a_logs_filter_is_400_not_500(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/vault/logs?filter[path]=a%00&filter[path_match_mode]=EXACT", headers=tenant.headers())
    assert response.status_code == 400, response.text
    assert_error_shape(response)
    assert "NUL" in response.json()["message"]


@pytest.mark.parametrize(
    "url",
    [
        "/vault/logs?filter[connector_id]=crm%2Bsales%00",
        "/vault/logs?filter[path]=%00&filter[path_match_mode]=CONTAINS",
        "/vault/logs?cursor=%00",
        "/vault/consumers?cursor=MQ%00",
        "/vault/sessions?cursor=%00",
        "/vault/connections?api=crm%00",
        "/vault/consumers/a%00b",
        "/vault/sessions/a%00b",
        "/vault/connections/crm/pipedrive%00",
        "/vault/connections/crm%00/pipedrive",
    ],
)
async def test_nul_anywhere_in_a_url_is_400(client: httpx.AsyncClient, tenant: Tenant, url: str) -> None:
    response = await client.get(url, headers=tenant.headers())
    assert response.status_code == 400, response.text
    assert_error_shape(response)


async def test_nul_inside_a_cursor_is_an_invalid_cursor(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for url in (
        f"/vault/sessions?cursor={cursor_of('1:abc' + chr(0))}",
        f"/vault/consumers?cursor={cursor_of('1' + chr(0))}",
        f"/vault/logs?cursor={cursor_of(chr(0))}",
    ):
        response = await client.get(url, headers=tenant.headers())
        assert response.status_code == 400, response.text
        assert response.json()["message"] == "Invalid cursor"


async def test_nul_on_a_hosted_vault_path_is_a_friendly_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/session/abc%00def")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


def test_the_logs_filter_parser_refuses_nul_itself() -> None:
    with pytest.raises(BadRequest, match="NUL"):
        parse_logs_filter(QueryParams([("filter[path]", "a\x00")]))
