"""Where a request comes from, decided in one place. The connecting peer, unless that peer is one
of ``VAULTLINE_TRUSTED_PROXIES``: then the nearest address in ``X-Forwarded-For`` that is not a
trusted proxy itself (and ``X-Forwarded-Proto`` sets the scheme). Anyone else's forwarding
headers are ignored, so a client cannot pick the address it is throttled under.
"""

from __future__ import annotations

import functools
import ipaddress

from fastapi import FastAPI
from starlette.requests import Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

# An IPv6 subscriber usually holds a whole /64: counting per address would let one attacker
# rotate through 2**64 of them.
_IPV6_PREFIX = 64
_MAX_ADDRESS_CHARS = 64


def install_trusted_proxies(app: FastAPI, trusted_proxies: tuple[str, ...]) -> None:
    """Rewrite ``scope["client"]`` (and the scheme) from the forwarding headers of trusted
    proxies only. Call last in ``create_app``: outermost, before anything reads the client.
    ``vaultline serve`` runs uvicorn without its own proxy handling, which would trust
    127.0.0.1 whatever the configuration says."""
    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies))


def client_address(request: Request) -> str:
    """The key failed authentications are counted under: the client's IPv4 address or IPv6 /64."""
    client = request.scope.get("client")
    host = str(client[0]) if client else ""
    # Every session-token call names its address (for the throttle, should the token fail), and
    # ipaddress parses slowly; a client's host is the same string call after call.
    return _cached_address_key(host) if len(host) <= _MAX_ADDRESS_CHARS else _address_key(host)


def _address_key(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:_MAX_ADDRESS_CHARS] or "unknown"  # a Unix socket, or a proxy's non-IP token
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, _IPV6_PREFIX), strict=False))
    return str(address)


_cached_address_key = functools.lru_cache(maxsize=4096)(_address_key)
