"""Header size, header deadline and connection cap of a real ``vaultline serve``, over real sockets.

The limits live in the HTTP protocol (src/vaultline/server_protocol.py), below the ASGI app, so
only a server process can show them. Storage plays no part: SQLite only.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer, create_app_via_cli, live_server
from vaultline.config import Settings

pytestmark = pytest.mark.slow

# Far longer than any limit under test: a server that never closes fails, one that does passes at once.
PATIENCE_SECONDS = 20.0


@contextmanager
def server(tmp_path_factory: pytest.TempPathFactory, **env: str) -> Iterator[LiveServer]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), access_log=False)
    with live_server(settings, **env) as running:
        yield running


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with server(tmp_path_factory) as running:
        yield running


def address(live: LiveServer) -> tuple[str, int]:
    host, port = live.url.removeprefix("http://").split(":")
    return host, int(port)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as closing)."""
    sock.settimeout(PATIENCE_SECONDS)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def refusal_body(response: bytes) -> dict[str, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), head
    assert b"connection: close" in head.lower()
    parsed: dict[str, object] = json.loads(body)
    return parsed


def assert_still_serving(live: LiveServer) -> None:
    assert httpx.get(f"{live.url}/readyz", timeout=10).status_code == 200


def test_oversized_header_is_refused_with_431(default_server: LiveServer) -> None:
    with socket.create_connection(address(default_server)) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"a" * 40_000 + b"\r\n\r\n")
        body = refusal_body(read_until_closed(sock))
    assert body["status_code"] == 431 and body["type_name"] == "RequestHeaderFieldsTooLargeError"
    assert_still_serving(default_server)


def test_endless_header_line_is_cut_off(default_server: LiveServer) -> None:
    """8 MB in one header line: the server stops reading long before the end and answers 431 (the
    client may see a reset instead, when it is still sending as the server closes)."""
    with socket.create_connection(address(default_server)) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nX-Flood: ")
        sock.settimeout(PATIENCE_SECONDS)
        try:
            for _ in range(32):
                sock.sendall(b"a" * (256 * 1024))
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # closed by the server while we were still sending: refused
        response = read_until_closed(sock)
    assert response == b"" or refusal_body(response)["status_code"] == 431
    assert_still_serving(default_server)


def test_too_many_header_fields_are_refused_with_431(default_server: LiveServer) -> None:
    fields = b"".join(b"X-Field-%d: v\r\n" % n for n in range(150))
    with socket.create_connection(address(default_server)) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
        assert refusal_body(read_until_closed(sock))["status_code"] == 431
    assert_still_serving(default_server)


def test_large_but_legitimate_headers_are_served(default_server: LiveServer) -> None:
    """A 4 KB session token as header and as cookie, plus other cookies: well inside 32 KB."""
    token = "e" * 4300
    headers = {"Authorization": f"Bearer {token}", "Cookie": f"vaultline_session={token}; other={'c' * 8000}"}
    assert httpx.get(f"{default_server.url}/readyz", headers=headers, timeout=10).status_code == 200


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with server(tmp_path_factory, VAULTLINE_HEADER_TIMEOUT_SECONDS="1") as running:
        yield running


def test_trickled_headers_are_closed_after_the_header_timeout(impatient_server: LiveServer) -> None:
    """Slowloris: a header line every 0.2 s would keep a connection forever without a deadline."""
    started = time.monotonic()
    with socket.create_connection(address(impatient_server)) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(0.2)
        closed = False
        line = 0
        while not closed and time.monotonic() - started < PATIENCE_SECONDS:
            try:
                closed = sock.recv(1024) == b""
            except TimeoutError:
                line += 1
                try:
                    sock.sendall(b"X-Line-%d: slow\r\n" % line)
                except OSError:
                    closed = True
            except ConnectionResetError:
                closed = True
    assert closed, f"the server kept a connection trickling headers open for {PATIENCE_SECONDS} s"
    assert line > 1  # it was trickling, not refused at once
    assert_still_serving(impatient_server)


def test_silent_connection_is_closed_after_the_header_timeout(impatient_server: LiveServer) -> None:
    with socket.create_connection(address(impatient_server)) as sock:
        assert read_until_closed(sock) == b""
    assert_still_serving(impatient_server)


def test_keep_alive_connection_serves_requests_slower_than_the_header_timeout(impatient_server: LiveServer) -> None:
    """The deadline covers receiving headers, not the pauses between requests (uvicorn's keep-alive
    timeout, 5 s, governs those)."""
    connection = http.client.HTTPConnection(*address(impatient_server), timeout=10)
    try:
        for _ in range(2):
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            assert response.status == 200 and response.read()
            time.sleep(1.5)  # longer than the header timeout, shorter than keep-alive
        connection.request("GET", "/readyz")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_connections_beyond_the_cap_are_refused_with_503(tmp_path_factory: pytest.TempPathFactory) -> None:
    with server(tmp_path_factory, VAULTLINE_MAX_CONNECTIONS="2", VAULTLINE_HEADER_TIMEOUT_SECONDS="60") as live:
        with ExitStack() as held:
            for _ in range(2):
                connection = http.client.HTTPConnection(*address(live), timeout=10)
                held.callback(connection.close)
                connection.request("GET", "/readyz")  # the server has surely accepted it once it answers
                assert connection.getresponse().read()
                assert connection.sock is not None
                connection.sock.sendall(b"GET /readyz HTTP/1.1\r\n")  # and now it waits for the rest
            refused = httpx.get(f"{live.url}/readyz", timeout=10)
            assert refused.status_code == 503 and refused.headers["connection"] == "close"
            assert refused.headers["content-type"] == "application/json" and refused.headers["retry-after"] == "1"
            body = refused.json()
            assert body["type_name"] == "ServiceUnavailableError" and "2 open connections" in body["message"]
        # Slots free again once the held connections are gone (the server sees them close soon).
        deadline = time.monotonic() + PATIENCE_SECONDS
        while (status := httpx.get(f"{live.url}/readyz", timeout=10).status_code) == 503:
            assert time.monotonic() < deadline, "the server kept refusing after its connections closed"
            time.sleep(0.1)
        assert status == 200


def test_a_body_trickled_past_the_body_timeout_is_answered_408(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Complete headers, then a body sent a byte at a time: without a deadline the connection
    (and the request waiting for its body) would be held for as long as the client likes."""
    with server(tmp_path_factory, VAULTLINE_BODY_TIMEOUT_SECONDS="1") as live:
        app = create_app_via_cli(live.env, "Trickle")  # a valid key: the body is read, not refused unread
        started = time.monotonic()
        with socket.create_connection(address(live)) as sock:
            sock.sendall(
                f"POST /vault/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {app['api_key']}\r\n"
                f"x-apideck-app-id: {app['application_id']}\r\nx-apideck-consumer-id: c\r\n"
                "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{".encode()
            )
            sock.settimeout(0.2)
            response = b""
            sent = 1
            while time.monotonic() - started < PATIENCE_SECONDS:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    sent += 1
                    try:
                        sock.sendall(b" ")
                    except OSError:
                        break
                    continue
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), response
        assert b"connection: close" in head.lower()
        assert json.loads(body)["type_name"] == "RequestTimeoutError"
        assert 2 < sent < 100  # it was trickling, and it was cut off long before the body was whole
        assert_still_serving(live)
        live.process.terminate()
        live.process.wait(timeout=10)
        assert live.process.stdout is not None
        output = live.process.stdout.read()
    assert "did not arrive in 1 s" in output
    assert "Traceback" not in output  # the request left waiting for its body is not an error


def test_a_body_sent_in_pieces_within_the_body_timeout_is_served(impatient_server: LiveServer) -> None:
    """The deadline is for the whole body, not each piece: a slow but steady client is served."""
    with socket.create_connection(address(impatient_server)) as sock:
        sock.sendall(b"POST /vault/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{")
        time.sleep(0.3)
        sock.sendall(b"}")
        sock.settimeout(PATIENCE_SECONDS)
        head = sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 401 "), head  # read whole, then refused for its missing key


def test_limits_have_internet_facing_defaults(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.max_header_bytes == 32 * 1024
    assert settings.header_timeout_seconds == 10
    assert settings.body_timeout_seconds == 30
    assert settings.max_connections == 1000
