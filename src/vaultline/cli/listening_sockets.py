"""The server's listening sockets, bound before anything else happens at start-up.

``vaultline serve`` claims its port first, so that a port already in use is one clear line
before any migration runs, any demo is created or any link is printed. uvicorn (and its
multi-worker supervisor) then serves on these sockets.
"""

from __future__ import annotations

import errno
import socket

from vaultline.cli.errors import CommandError

# Connections that arrive while the server finishes starting wait in the kernel's queue.
_BACKLOG = 2048


def bind_listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Every address ``host`` resolves to (``localhost`` may mean 127.0.0.1 and ::1), as
    asyncio's own ``create_server`` would bind them; listening at once, because on Linux two
    sockets with SO_REUSEADDR may both bind a port until one of them listens."""
    try:
        addresses = socket.getaddrinfo(
            host or None, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise CommandError(f"cannot listen on {host!r}: {exc.strerror}. Fix --host") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, protocol, _name, address in dict.fromkeys(addresses):
            sock = socket.socket(family, kind, protocol)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
                sock.listen(_BACKLOG)
            except OSError as exc:
                raise CommandError(_bind_failure(host, port, exc)) from None
            sock.set_inheritable(True)  # --workers: each worker process serves on it
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bind_failure(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use: stop the program using it, or choose another with --port"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where}: ports below 1024 need privileges; choose another with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: {host} is not an address of this machine; fix --host"
    return f"cannot listen on {where}: {exc.strerror or exc}"
