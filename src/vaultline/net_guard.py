"""Refusing outbound URLs that point inside the operator's network (SSRF): webhook endpoints
now, OAuth token and authorize endpoints next. Only http(s), and every address the host
resolves to must be public unless the operator allows private ones."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from vaultline.strict_url import DEFAULT_PORTS, InvalidUrl, parse_strict_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL is malformed, not http(s), or reaches a non-public address."""


class UnresolvableHost(UnsafeUrl):
    """The URL's host name does not resolve (now): not a refusal, but nothing to connect to."""


# Ranges Python's ``is_global`` lets through (depending on its version) that reach no public host.
_IETF_PROTOCOL_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")  # 192.0.0.8 and friends, RFC 6890
_TEREDO = ipaddress.IPv6Network("2001::/32")  # a tunnel whose far end is hidden in the address
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated; ::127.0.0.1 is loopback on some stacks
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 host


def is_public_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address in _TEREDO or address in _IPV4_COMPATIBLE:
            return False
    elif address in _IETF_PROTOCOL_ASSIGNMENTS:
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 host an IPv6 transition address reaches (IPv4-mapped, 6to4, NAT64): judged as
    that host, so ``2002:7f00:1::`` is loopback and a NAT64 address of a public host is public."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def parse_http_url(url: str) -> tuple[str, int]:
    """The host and port of an absolute http(s) URL; ``UnsafeUrl`` otherwise. The URL must be
    one every parser reads alike (strict_url): the address checked is the one connected to."""
    try:
        parsed = parse_strict_url(url)
    except InvalidUrl as exc:
        raise UnsafeUrl(f"{url!r} {exc}") from None
    return parsed.host, parsed.port or DEFAULT_PORTS[parsed.scheme]


async def resolve_addresses(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnresolvableHost(f"{host!r} does not resolve ({exc.strerror or exc})") from exc
    # Scope ids ("fe80::1%eth0") are not part of the address.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


async def check_public_url(url: str, *, allow_private: bool) -> None:
    """Raise ``UnsafeUrl`` unless ``url`` is http(s) and every address its host resolves to is
    public (or ``allow_private``). Call it when the URL is configured *and* before each use:
    DNS answers change. A rebinding between this check and the connection stays possible."""
    host, port = parse_http_url(url)
    if allow_private:
        return
    addresses = await resolve_addresses(host, port)
    refused = [str(address) for address in addresses if not is_public_address(address)]
    if refused or not addresses:
        raise UnsafeUrl(
            f"{url!r} resolves to a private, loopback or otherwise non-public address ({', '.join(refused)}); "
            "set VAULTLINE_ALLOW_PRIVATE_WEBHOOKS=true to allow it"
        )
