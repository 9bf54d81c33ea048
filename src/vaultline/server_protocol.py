"""uvicorn's httptools protocol with the limits a server facing the internet needs: bounded
request headers (431), deadlines to receive them (slowloris) and the body after them (408), and
a cap on connections (503). Every refusal is Apideck's JSON error body, rendered once at start.

httptools has no header limit of its own: it buffers a header line of any length (8 sockets
sending 64 MB lines cost half a gigabyte) and waits forever for the blank line ending them.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

import httptools
import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from vaultline.config import Settings
from vaultline.errors import RequestHeadersTooLarge, RequestTimeout, ServiceUnavailable, VaultError

# Apache's LimitRequestFields: browsers send ~20 fields; each one costs Python objects.
MAX_HEADER_FIELDS = 100
# What one header field costs on the wire besides its name and value: ": " and CRLF.
_FIELD_OVERHEAD = 4


@dataclass(frozen=True)
class HeaderLimits:
    max_bytes: int
    timeout_seconds: float
    body_timeout_seconds: float
    refusal: bytes  # the whole 431 response, rendered once
    body_too_slow: bytes  # the 408
    too_many_connections: bytes  # the 503


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """The keyword arguments ``uvicorn.run`` needs to serve with the limits in ``settings``."""
    max_bytes = settings.max_header_bytes
    headers_message = f"The request line and headers are over {max_bytes} bytes or {MAX_HEADER_FIELDS} fields"
    body_message = f"The request body did not arrive within {settings.body_timeout_seconds:g} seconds of its headers"
    cap_message = f"This server worker has its maximum of {settings.max_connections} open connections; retry shortly"
    limits = HeaderLimits(
        max_bytes,
        settings.header_timeout_seconds,
        settings.body_timeout_seconds,
        refusal=_closing_response(RequestHeadersTooLarge(headers_message), settings.public_url),
        body_too_slow=_closing_response(RequestTimeout(body_message), settings.public_url),
        too_many_connections=_closing_response(
            ServiceUnavailable(cap_message, headers={"retry-after": "1"}), settings.public_url
        ),
    )
    # uvicorn only calls the class it is given, and pickles it for --workers: a partial of a
    # module-level class carries the limits to every worker.
    protocol = functools.partial(LimitedHttpToolsProtocol, limits=limits)
    return {
        "http": cast(type[asyncio.Protocol], protocol),
        # A request arriving when this many connections, its own included, are open is refused
        # (503, then closed): one more than the number we serve. The protocol below answers it
        # before uvicorn's own check, with the JSON error body instead of uvicorn's plain text.
        "limit_concurrency": settings.max_connections + 1,
    }


def _closing_response(error: VaultError, public_url: str) -> bytes:
    """The whole HTTP response refusing a request with ``error``, closing the connection."""
    body = orjson.dumps(error.to_body(public_url))
    extra = "".join(f"{name}: {value}\r\n" for name, value in error.headers.items())
    head = (
        f"HTTP/1.1 {error.status_code} {HTTPStatus(error.status_code).phrase}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}connection: close\r\n\r\n"
    )
    return head.encode() + body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """Refuses headers over ``max_header_bytes`` (or ``MAX_HEADER_FIELDS`` fields) with 431,
    closes a connection whose request headers are not all in ``header_timeout_seconds`` after
    the connection opened or the request began, answers 408 (and closes) when a body is not all
    in ``body_timeout_seconds`` after its first part, and 503 to a request past the connection cap.

    The hot path stays cheap: a request whose headers (and body) arrive in one read arms no timer
    and is measured once, when its headers are complete. Only a request still incomplete after a
    read gets a timer and a running byte count.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: HeaderLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_header_bytes = limits.max_bytes
        self.header_timeout = limits.timeout_seconds
        self.refusal = limits.refusal
        self.body_timeout = limits.body_timeout_seconds
        self.body_too_slow = limits.body_too_slow
        self.too_many_connections = limits.too_many_connections
        self.header_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        self.reading_headers = False  # a request has begun and its headers are not complete
        self.header_bytes = 0  # bytes surely in the pending headers: whole reads made while they were pending
        self.header_bytes_bound = 0  # at least the size of the pending headers: every read they touched
        self.read_bytes = 0
        self.refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a whole request must not hold its slot forever.
        self.header_timer = self.loop.call_later(self.header_timeout, self.on_header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_header_timer()
        self.cancel_body_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Every byte of this read belongs to the pending headers when they were already pending,
        # or when no earlier request's body was still arriving (the read begins a request).
        cycle = self.cycle
        read_is_headers = self.reading_headers or cycle is None or not cycle.more_body
        self.read_bytes = len(data)
        if self.reading_headers:
            self.header_bytes_bound += len(data)
        self.feed(data)
        if self.body_timer is None and not self.reading_headers and not self.refused:
            pending = self.cycle
            if pending is not None and pending.more_body and not pending.response_complete:
                # Headers complete, body still to come: a GET or a body sent with its headers never gets here.
                self.body_timer = self.loop.call_later(self.body_timeout, self.on_body_timeout)
        if not self.reading_headers or self.refused:
            return
        if read_is_headers:
            self.header_bytes += len(data)
        if self.header_bytes > self.max_header_bytes or len(self.headers) > MAX_HEADER_FIELDS:
            self.refuse_headers()
        elif self.header_timer is None:
            self.header_timer = self.loop.call_later(self.header_timeout, self.on_header_timeout)

    def feed(self, data: bytes) -> None:
        """uvicorn's ``data_received``, except that headers refused by ``on_headers_complete``
        (which stops the parser by raising) are answered 431, not logged and answered 400."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if not self.refused:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.reading_headers = True
        self.header_bytes = 0
        self.header_bytes_bound = self.read_bytes

    def on_headers_complete(self) -> None:
        self.reading_headers = False
        self.cancel_header_timer()
        if len(self.headers) > MAX_HEADER_FIELDS or (
            # Measured only when the reads could hold too much: never for a request of usual size.
            self.header_bytes_bound > self.max_header_bytes and self.exact_header_bytes() > self.max_header_bytes
        ):
            self.refuse_headers()
            # Stops the parser: nothing of this request reaches the application.
            raise RequestHeadersTooLarge()
        if self.over_connection_cap() and (self.cycle is None or self.cycle.response_complete):
            # uvicorn's own check (in super) would answer the same in plain text. A request
            # pipelined behind a running one is left to it: the running response owns the socket.
            self.refused = True
            self.logger.warning("Refused a request: %d connections are open", len(self.connections))
            self.transport.write(self.too_many_connections)
            self.transport.close()
            raise ServiceUnavailable()
        super().on_headers_complete()

    def over_connection_cap(self) -> bool:
        cap = self.limit_concurrency
        return cap is not None and (len(self.connections) >= cap or len(self.tasks) >= cap)

    def on_message_complete(self) -> None:
        self.cancel_body_timer()
        super().on_message_complete()

    def on_body_timeout(self) -> None:
        self.body_timer = None
        cycle = self.cycle
        if cycle is None or not cycle.more_body or self.transport.is_closing():
            return
        self.logger.warning("Closed a connection whose request body did not arrive in %g s", self.body_timeout)
        if not cycle.response_started:
            self.transport.write(self.body_too_slow)
        self.transport.close()  # the application's receive() now answers http.disconnect

    def exact_header_bytes(self) -> int:
        fields = sum(len(name) + len(value) + _FIELD_OVERHEAD for name, value in self.headers)
        return len(self.url) + fields

    def refuse_headers(self) -> None:
        self.refused = True
        self.cancel_header_timer()
        self.logger.warning("Refused headers over %d bytes or %d fields", self.max_header_bytes, MAX_HEADER_FIELDS)
        # A pipelined request behind a running one gets no answer: the running response owns the socket.
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(self.refusal)
        self.transport.close()

    def on_header_timeout(self) -> None:
        self.header_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # let the running response finish, then close
        elif not self.transport.is_closing():
            self.transport.close()

    def cancel_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    def cancel_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None
