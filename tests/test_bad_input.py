"""Bad input, case by case: every error is the JSON error shape with ``status_code`` in the body,
and nothing a client sends produces a 5xx. In-process over raw HTTP, then over a real socket."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import uvicorn
from fastapi import FastAPI

from tests.support.fuzz import assert_error_shape
from tests.support.tenants import Tenant, create_tenant
from vaultline.app import create_app
from vaultline.config import Settings

JSON = {"Content-Type": "application/json"}
LEAKS = ("Traceback", 'File "', "sqlalchemy", "asyncpg", "aiosqlite", "pydantic_core", "site-packages")


def expect_error(response: httpx.Response, status: int, case: object = "") -> dict[str, object]:
    where = f"{response.request.method} {response.request.url} {case!r}"[:300]
    assert response.status_code == status, f"{where}: {response.status_code} {response.text[:300]}"
    try:
        assert_error_shape(response)
        for leak in LEAKS:
            assert leak not in response.text, response.text
    except AssertionError as exc:
        raise AssertionError(where) from exc
    body: dict[str, object] = response.json()
    return body


def raw_headers(headers: dict[str, str], *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in headers.items()] + list(extra)


def cursor_of(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


# --- routes and methods -------------------------------------------------------------------


async def test_unknown_route_is_404_json(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for method, path in [
        ("GET", "/nope"),
        ("POST", "/vault/nope"),
        ("GET", "/vault"),
        ("DELETE", "/vault/sessions/a/b"),
        ("GET", "/" + "a" * 10_000),
    ]:
        body = expect_error(await client.request(method, path, headers=tenant.headers()), 404)
        assert body["type_name"] == "EntityNotFoundError"


async def test_wrong_method_is_405_json_with_allow(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for method, path, allow in [
        ("PUT", "/vault/sessions", "GET, POST"),
        ("PATCH", "/vault/sessions", "GET, POST"),
        ("POST", "/vault/sessions/some-id", "GET, DELETE"),
        ("DELETE", "/vault/consumers", "GET, POST"),
        ("PUT", "/vault/consumers/some-consumer", "GET, PATCH, DELETE"),
        ("POST", "/healthz", "GET"),
        ("TRACE", "/vault/sessions", "GET, POST"),
    ]:
        response = await client.request(method, path, headers=tenant.headers())
        body = expect_error(response, 405)
        assert body["type_name"] == "MethodNotAllowedError"
        # Every method of the resource (RFC 9110), not only those of the first route matching the path.
        assert response.headers["allow"] == allow, (method, path)


# --- bodies -------------------------------------------------------------------------------


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, tenant: Tenant) -> None:
    bodies = [
        ("text/plain", b'{"consumer_id": "c1"}'),
        ("application/x-www-form-urlencoded", b"consumer_id=c1"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'),
        ("application/xml", b"<consumer_id>c1</consumer_id>"),
        ("garbage", b"{}"),
    ]
    for method, path in [("POST", "/vault/sessions"), ("POST", "/vault/consumers"), ("PATCH", "/vault/consumers/c1")]:
        for content_type, content in bodies:
            headers = {**tenant.headers(), "Content-Type": content_type}
            response = await client.request(method, path, headers=headers, content=content)
            body = expect_error(response, 415, content_type)
            assert "application/json" in str(body["message"])


async def test_malformed_json_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    bodies = [
        b"{",
        b'{"settings": }',
        b"nul",
        b"{'settings': {}}",
        b'{"settings": {}} trailing',
        b"\x00",
        b"[1,]",
        b'"',
    ]
    for path in ["/vault/sessions", "/vault/consumers"]:
        for content in bodies:
            response = await client.post(path, headers={**tenant.headers(), **JSON}, content=content)
            assert expect_error(response, 400, content)["type_name"] == "RequestValidationError"


async def test_invalid_utf8_body_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for content in [
        b'{"redirect_uri": "https://a.example/\xff"}',
        b'{"theme": {"vault_name": "\xc3\x28"}}',
        b"\xff\xfe{\x00}\x00",  # UTF-16 with a BOM
        b'{"consumer_metadata": {"user_name": "\xed\xa0\x80"}}',  # an encoded lone surrogate
        b'{"custom_consumer_settings": {"a": "\\ud800"}}',  # an escaped lone surrogate
    ]:
        response = await client.post("/vault/sessions", headers={**tenant.headers(), **JSON}, content=content)
        expect_error(response, 400, content)


async def test_deeply_nested_json_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for content in [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"custom_consumer_settings": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"custom_consumer_settings": {"a": ' + b"[" * 20_000 + b"]" * 20_000 + b"}}",
    ]:
        assert len(content) < 64 * 1024  # the parser, not the size limit, must refuse it
        response = await client.post("/vault/sessions", headers={**tenant.headers(), **JSON}, content=content)
        assert "Malformed JSON" in str(expect_error(response, 400, content[:40])["message"])
    assert (await client.get("/healthz")).status_code == 200


async def test_huge_numbers_never_500(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for content, status in [
        (b'{"settings": {"show_logs": 1e400}}', 400),
        (b'{"settings": {"show_logs": ' + b"9" * 5000 + b"}}", 400),
        (b'{"custom_consumer_settings": {"n": 1e999}}', 400),
        (b'{"custom_consumer_settings": {"n": -1e999}}', 400),
        (b'{"custom_consumer_settings": {"n": NaN}}', 400),
        (b'{"custom_consumer_settings": {"n": [Infinity]}}', 400),
        (b'{"custom_consumer_settings": {"n": ' + b"9" * 5000 + b"}}", 400),
        (b'{"settings": {"session_length": "999999999999999999999999999999w"}}', 422),
        (b'{"settings": {"session_length": "1e400s"}}', 400),
        (b'{"custom_consumer_settings": {"n": 123456789012345678901234567890}}', 200),
        (b'{"custom_consumer_settings": {"n": 1.7976931348623157e308}}', 200),
    ]:
        response = await client.post("/vault/sessions", headers={**tenant.headers(), **JSON}, content=content)
        if status == 200:
            assert response.status_code == 200, (content[:60], response.text)
        else:
            expect_error(response, status, content[:60])
    for path in ["/vault/consumers", "/vault/sessions"]:
        expect_error(await client.get(f"{path}?limit={'9' * 40}", headers=tenant.headers()), 400)


# --- NUL bytes ----------------------------------------------------------------------------


async def test_nul_in_headers(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for header, value, status in [
        (b"x-apideck-consumer-id", b"a\x00b", 400),
        (b"x-apideck-consumer-id", b"\x00", 400),
        (b"authorization", b"Bearer \x00", 401),
        (b"authorization", b"\x00" + tenant.api_key.encode(), 401),
        (b"x-apideck-app-id", b"app\x00", 401),
    ]:
        headers = {name.lower(): val for name, val in tenant.headers().items()}
        headers.pop(header.decode())
        response = await client.post("/vault/sessions", headers=raw_headers(headers, (header, value)))
        expect_error(response, status, (header, value))


async def test_nul_in_json_strings(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path, body, status in [
        ("/vault/sessions", {"redirect_uri": "https://mysaas.example/\x00"}, 422),
        ("/vault/sessions", {"theme": {"vault_name": "Acme\x00"}}, 400),
        ("/vault/sessions", {"theme": {"logo": "https://cdn.example/\x00.png"}}, 422),  # as redirect_uri
        ("/vault/sessions", {"consumer_metadata": {"email": "a\x00@b.example"}}, 400),
        ("/vault/sessions", {"settings": {"session_length": "1h\x00"}}, 400),
        ("/vault/sessions", {"settings": {"unified_apis": ["crm\x00"]}}, 400),
        ("/vault/consumers", {"consumer_id": "a\x00b"}, 400),
        ("/vault/consumers", {"consumer_id": "ok", "metadata": {"user_name": "\x00"}}, 400),
        ("/vault/sessions", {"custom_consumer_settings": {"k\x00": "v\x00"}}, 200),  # a free JSON object
    ]:
        response = await client.post(path, headers=tenant.headers(), json=body)
        if status == 200:
            assert response.status_code == 200, response.text
        else:
            expect_error(response, status, body)


# --- body size and framing ----------------------------------------------------------------


async def test_oversized_body_by_content_length_is_413(client: httpx.AsyncClient, tenant: Tenant) -> None:
    content = b'{"custom_consumer_settings": {"x": "' + b"x" * (64 * 1024) + b'"}}'
    for method, path in [("POST", "/vault/sessions"), ("POST", "/vault/consumers"), ("PATCH", "/vault/consumers/c1")]:
        response = await client.request(method, path, headers={**tenant.headers(), **JSON}, content=content)
        assert expect_error(response, 413)["type_name"] == "PayloadTooLargeError"


async def test_body_of_exactly_64_kb_is_accepted(client: httpx.AsyncClient, tenant: Tenant) -> None:
    prefix, suffix = b'{"custom_consumer_settings": {"x": "', b'"}}'
    content = prefix + b"x" * (64 * 1024 - len(prefix) - len(suffix)) + suffix
    assert len(content) == 64 * 1024
    response = await client.post("/vault/sessions", headers={**tenant.headers(), **JSON}, content=content)
    assert response.status_code == 200, response.text


async def test_oversized_chunked_body_is_413(client: httpx.AsyncClient, tenant: Tenant) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"custom_consumer_settings": {"x": "'
        for _ in range(10):
            yield b"x" * 8192

    for path in ["/vault/sessions", "/vault/consumers"]:
        expect_error(await client.post(path, headers={**tenant.headers(), **JSON}, content=chunks()), 413)


async def test_invalid_content_length_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for value in [b"abc", b"-1", b"1.5", b"", b" 2", b"0x10", "\u00b2".encode()]:
        headers = raw_headers({**tenant.headers(), **JSON}, (b"content-length", value))
        body = expect_error(await client.post("/vault/sessions", headers=headers, content=b"{}"), 400, value)
        assert "Content-Length" in str(body["message"])


async def test_body_on_a_get_is_ignored_or_refused_never_500(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {**tenant.headers(), **JSON}
    assert (await client.request("GET", "/vault/consumers", headers=headers, content=b"{not json")).status_code == 200
    expect_error(await client.request("GET", "/vault/consumers", headers=headers, content=b"x" * 70_000), 413)


# --- query strings ------------------------------------------------------------------------

WEIRD_QUERIES = [
    "limit=abc",
    "limit=0",
    "limit=999",
    "limit=-1",
    "limit=1.5",
    "limit=1e3",
    "limit=" + "9" * 40,
    "limit=",
    "cursor=garbage",
    "cursor=!!!",
    "cursor=%00",
    "cursor=%FF%FE",
    "cursor=" + "A" * 600,
    "cursor=" + cursor_of("-1"),
    "cursor=" + cursor_of("9" * 40),
    "cursor=" + cursor_of("\u00b2"),  # "²" passes str.isdigit but not int()
    "cursor=" + cursor_of("\u0661\u0662"),  # Arabic-Indic digits
    "cursor=" + cursor_of("1:\x00"),
    "cursor=" + cursor_of("9" * 40 + ":abc"),
    "cursor=" + cursor_of(":abc"),
]


async def test_weird_query_strings_are_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path in ["/vault/consumers", "/vault/sessions"]:
        for query in WEIRD_QUERIES:
            body = expect_error(await client.get(f"{path}?{query}", headers=tenant.headers()), 400)
            assert body["type_name"] == "RequestValidationError"


async def test_valid_cursors_still_page(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for n in range(3):
        assert (
            await client.post("/vault/consumers", headers=tenant.headers(), json={"consumer_id": f"c{n}"})
        ).is_success
        assert (await client.post("/vault/sessions", headers=tenant.headers())).is_success
    for path, expected in [("/vault/consumers", 4), ("/vault/sessions", 3)]:  # c0-c2 and test-consumer
        seen: list[str] = []
        url: str | None = f"{path}?limit=2"
        while url:
            page = await client.get(url, headers=tenant.headers())
            assert page.status_code == 200, page.text
            seen += [item.get("id") or item["consumer_id"] for item in page.json()["data"]]
            url = page.json()["links"]["next"]
        assert len(seen) == len(set(seen)) == expected


# --- path parameters ----------------------------------------------------------------------

ODD_IDS = ["%00", "a%00b", "x" * 5000, "%C3%A9%E2%82%AC%F0%9F%98%80", "%FF", "%20", "..%2F..", "%0A", "%E2%80%AE"]


async def test_odd_path_params_are_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for method, template in [
        ("GET", "/vault/consumers/{}"),
        ("PATCH", "/vault/consumers/{}"),
        ("DELETE", "/vault/consumers/{}"),
        ("GET", "/vault/sessions/{}"),
        ("DELETE", "/vault/sessions/{}"),
    ]:
        for odd_id in ODD_IDS:
            body = {"metadata": {}} if method == "PATCH" else None
            response = await client.request(method, template.format(odd_id), headers=tenant.headers(), json=body)
            # A NUL anywhere in the URL is refused before routing (nul_guard.py); other odd ids are misses.
            expect_error(response, 400 if "%00" in odd_id else 404, odd_id[:40])


async def test_another_applications_session_is_404(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    assert (await client.post("/vault/sessions", headers=tenant.headers("shared-name"))).status_code == 200
    mine = (await client.get("/vault/sessions", headers=tenant.headers("shared-name"))).json()["data"][0]["id"]
    intruder = await create_tenant(app, name="Intruder")
    expect_error(await client.get(f"/vault/sessions/{mine}", headers=intruder.headers()), 404)
    expect_error(await client.delete(f"/vault/sessions/{mine}", headers=intruder.headers()), 404)
    # The intruder's "same" consumer id names a different consumer: no sessions, no record.
    assert (await client.get("/vault/sessions", headers=intruder.headers("shared-name"))).json()["data"] == []
    expect_error(await client.get("/vault/consumers/shared-name", headers=intruder.headers()), 404)
    still = await client.get(f"/vault/sessions/{mine}", headers=tenant.headers())
    assert still.status_code == 200 and still.json()["data"]["state"] == "active"


# --- browser-style broken calls -----------------------------------------------------------


async def test_browser_style_broken_calls_are_401(client: httpx.AsyncClient) -> None:
    for authorization in ["Bearer null", "Bearer undefined", "null", "Bearer ", "Bearer   null  "]:
        headers = {
            "Authorization": authorization,
            "x-apideck-app-id": "undefined",
            "x-apideck-consumer-id": "undefined",
            "Content-Type": "application/json",  # browsers' fetch wrappers send it even on GETs
        }
        for method, path in [
            ("GET", "/vault/consumers"),
            ("GET", "/vault/consumers/undefined"),
            ("GET", "/vault/sessions"),
            ("GET", "/vault/sessions/undefined"),
            ("DELETE", "/vault/sessions/undefined"),
            ("POST", "/vault/sessions"),
        ]:
            body = expect_error(await client.request(method, path, headers=headers), 401, authorization)
            assert body["type_name"] == "UnauthorizedError"


# --- what errors and successes never contain ----------------------------------------------


async def test_unexpected_errors_are_json_without_a_stack_trace(app: FastAPI) -> None:
    """The last-resort handler, reached through a route that fails the way a bug would."""

    async def broken() -> None:
        raise RuntimeError("secret internals: /srv/vaultline/db.py line 12")

    app.add_api_route("/test-only/broken", broken, methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://vault.test") as raw:
        response = await raw.get("/test-only/broken")
    body = expect_error(response, 500)
    assert "secret internals" not in response.text and "RuntimeError" not in response.text
    assert body["type_name"] == "InternalServerError"


async def test_success_bodies_never_carry_a_top_level_message(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.headers("quiet")
    responses = [
        await client.post("/vault/sessions", headers=headers, json={"consumer_metadata": {"user_name": "Q"}}),
        await client.post("/vault/consumers", headers=headers, json={"consumer_id": "other"}),
        await client.get("/vault/consumers", headers=headers),
        await client.get("/vault/consumers/quiet", headers=headers),
        await client.patch("/vault/consumers/quiet", headers=headers, json={"metadata": {"user_name": "R"}}),
    ]
    session_id = (await client.get("/vault/sessions", headers=headers)).json()["data"][0]["id"]
    responses += [
        await client.get("/vault/sessions", headers=headers),
        await client.get(f"/vault/sessions/{session_id}", headers=headers),
        await client.delete(f"/vault/sessions/{session_id}", headers=headers),
        await client.delete("/vault/consumers/other", headers=headers),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        body = response.json()
        assert "message" not in body, body
        assert body["status_code"] == 200 and body["status"] == "OK", body
        assert not {"error", "type_name", "detail"} & set(body), body


# --- a real socket ------------------------------------------------------------------------


def exchange(url: str, payload: bytes, *, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a fresh connection; return the first response (head and a body of
    Content-Length bytes), or what came before the server closed or went quiet."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
        except OSError:  # the server may answer and close while we are still sending
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                head, separator, body = received.partition(b"\r\n\r\n")
                if separator:
                    lengths = [
                        line.split(b":", 1)[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ]
                    if lengths and len(body) >= int(lengths[0]):
                        break
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def status_of(reply: bytes) -> int | None:
    if not reply:
        return None  # closed without an answer: acceptable for garbage
    status_line = reply.split(b"\r\n", 1)[0].split()
    assert status_line[0].startswith(b"HTTP/1."), reply[:200]
    return int(status_line[1])


MALFORMED_REQUESTS = {
    "garbage request line": b"GARBAGE\r\n\r\n",
    "binary": b"\x00\x01\x02\xff\xfe\r\n\r\n",
    "header without colon": b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "space before colon": b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n",
    "unknown HTTP version": b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
    "bad content-length": b"POST /vault/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
    "two content-lengths": b"POST /vault/sessions HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "bad chunk size": b"POST /vault/sessions HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "NUL in header value": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Thing: a\x00b\r\n\r\n",
    "truncated": b"POST /vault/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
}


@contextmanager
def uvicorn_in_a_thread(settings: Settings) -> Iterator[tuple[str, FastAPI, asyncio.AbstractEventLoop]]:
    """The app served by uvicorn (with ``vaultline serve``'s options) on a free loopback port,
    in a background thread with its own event loop."""
    app = create_app(settings)
    config = uvicorn.Config(app, log_config=None, access_log=False, proxy_headers=True, server_header=False)
    server = uvicorn.Server(config)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    loops: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        loops.append(asyncio.get_running_loop())
        await server.serve(sockets=[listener])

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", app, loops[0]
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()


def test_malformed_http_over_a_real_socket_never_500(settings: Settings) -> None:
    with uvicorn_in_a_thread(settings) as (url, app, loop):
        tenant = asyncio.run_coroutine_threadsafe(create_tenant(app, name="Socket"), loop).result(timeout=10)
        headers = tenant.headers("socket-consumer")
        auth = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode()
        for name, payload in MALFORMED_REQUESTS.items():
            status = status_of(exchange(url, payload, timeout=1))
            assert status is None or 400 <= status < 500, f"{name}: {status}"
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200, f"server down after {name}"

        declared = b"POST /vault/sessions HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: 100000\r\n\r\n"
        reply = exchange(url, declared + b"{" * 1000)  # answered without waiting for the rest
        assert status_of(reply) == 413 and b'"status_code":413' in reply

        chunked = b"POST /vault/sessions HTTP/1.1\r\nHost: x\r\n" + auth + b"Transfer-Encoding: chunked\r\n\r\n"
        chunked += b"".join(b"2000\r\n" + b"x" * 0x2000 + b"\r\n" for _ in range(10)) + b"0\r\n\r\n"
        reply = exchange(url, chunked)
        assert status_of(reply) == 413 and b'"status_code":413' in reply

        minted = httpx.post(f"{url}/vault/sessions", headers=headers, timeout=10)
        assert minted.status_code == 200 and minted.json()["status_code"] == 200
