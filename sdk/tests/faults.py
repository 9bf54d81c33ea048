"""Fault injection: a transport that answers the first requests with scripted failures (a
timeout, a 503, a 429) and hands the rest to the real server's transport. Never a stand-in for
the server: every success in these tests is a real server's answer."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Fault = Callable[[httpx.Request], httpx.Response]


def status(code: int, headers: dict[str, str] | None = None) -> Fault:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"status_code": code, "error": "Injected", "type_name": "InjectedError", "message": "injected fault"}
        return httpx.Response(code, json=body, headers=headers, request=request)

    return answer


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("injected read timeout", request=request)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("injected connection refused", request=request)


class FaultyTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Plays ``faults`` in order, one per request, then forwards to ``real``; records every request."""

    def __init__(self, real: httpx.BaseTransport | httpx.AsyncBaseTransport, *faults: Fault) -> None:
        self.real = real
        self.faults = list(faults)
        self.requests: list[httpx.Request] = []

    def _next_fault(self, request: httpx.Request) -> Fault | None:
        self.requests.append(request)
        return self.faults.pop(0) if self.faults else None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._next_fault(request)
        if fault is not None:
            return fault(request)
        assert isinstance(self.real, httpx.BaseTransport)
        return self.real.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._next_fault(request)
        if fault is not None:
            return fault(request)
        assert isinstance(self.real, httpx.AsyncBaseTransport)
        return await self.real.handle_async_request(request)

    def close(self) -> None:
        if isinstance(self.real, httpx.BaseTransport):
            self.real.close()

    async def aclose(self) -> None:
        if isinstance(self.real, httpx.AsyncBaseTransport):
            await self.real.aclose()
