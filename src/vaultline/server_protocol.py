"""uvicorn's httptools protocol with the limits a server facing the internet needs: bounded
request headers (431), a deadline to receive them (slowloris), and a cap on connections (503).

httptools has no header limit of its own: it buffers a header line of any length (8 sockets
sending 64 MB lines cost half a gigabyte) and waits forever for the blank line ending them.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any, cast

import httptools
import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from vaultline.config import Settings
from vaultline.errors import RequestHeadersTooLarge

# Apache's LimitRequestFields: browsers send ~20 fields; each one costs Python objects.
MAX_HEADER_FIELDS = 100
# What one header field costs on the wire besides its name and value: ": " and CRLF.
_FIELD_OVERHEAD = 4


@dataclass(frozen=True)
class HeaderLimits:
    max_bytes: int
    timeout_seconds: float
    refusal: bytes  # the whole 431 response, rendered once


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """The keyword arguments ``uvicorn.run`` needs to serve with the limits in ``settings``."""
    refusal = _refusal_response(settings.max_header_bytes, settings.public_url)
    limits = HeaderLimits(settings.max_header_bytes, settings.header_timeout_seconds, refusal)
    # uvicorn only calls the class it is given, and pickles it for --workers: a partial of a
    # module-level class carries the limits to every worker.
    protocol = functools.partial(LimitedHttpToolsProtocol, limits=limits)
    return {
        "http": cast(type[asyncio.Protocol], protocol),
        # uvicorn answers 503 (and closes) to a request arriving when this many connections,
        # its own included, are open: one more than the number we serve.
        "limit_concurrency": settings.max_connections + 1,
    }


def _refusal_response(max_bytes: int, public_url: str) -> bytes:
    message = f"The request line and headers are over {max_bytes} bytes or {MAX_HEADER_FIELDS} fields"
    body = orjson.dumps(RequestHeadersTooLarge(message).to_body(public_url))
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """Refuses headers over ``max_header_bytes`` (or ``MAX_HEADER_FIELDS`` fields) with 431 and
    closes a connection whose request headers are not all in ``header_timeout_seconds`` after
    the connection opened or the request began.

    The hot path stays cheap: a request whose headers arrive in one read arms no timer and is
    measured once, when its headers are complete. Only a request still incomplete after a read
    gets a timer and a running byte count.
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
        self.header_timer: asyncio.TimerHandle | None = None
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
        super().on_headers_complete()

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

    def cancel_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None
