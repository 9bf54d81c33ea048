"""Measure what oversized and slow request headers cost a real ``vaultline serve`` (one worker).

    .venv/bin/python bench/header_attacks.py [--sockets 8] [--line-mb 64] [--trickle-seconds 30]

1. Flood: ``--sockets`` connections each send one header line of ``--line-mb`` MB, as fast as
   the server reads it. Prints the server's RSS before, its peak (VmHWM) and after, and how
   many bytes each socket got in before the server closed it (or that it never did).
2. Trickle: ``--sockets`` connections each send a header line every 2 s. Prints how long the
   server kept each open, up to ``--trickle-seconds``.

Compare with an older checkout by running the same command with ``PYTHONPATH=/old/src``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"
VAULTLINE = str(Path(sys.executable).parent / "vaultline")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=2) as sock:
            sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if sock.recv(64).startswith(b"HTTP/1.1 200"):
                return
        time.sleep(0.2)
    raise SystemExit("server not ready after 60 s")


def _flood(port: int, total: int, sent: list[int], index: int) -> None:
    chunk = b"a" * (256 * 1024)
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nX-Flood: ")
        try:
            while sent[index] < total:
                sock.sendall(chunk)
                sent[index] += len(chunk)
            sock.sendall(b"\r\n\r\n")
            sock.settimeout(30)
            sock.recv(64)
        except OSError:
            pass  # the server closed the connection: what we hope for


def _trickle(port: int, limit: float, open_for: list[float], index: int) -> None:
    started = time.monotonic()
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(2)
        line = 0
        try:
            while time.monotonic() - started < limit:
                try:
                    if sock.recv(1024) == b"":
                        break  # closed by the server
                except TimeoutError:
                    pass
                line += 1
                sock.sendall(b"X-Line-%d: slow\r\n" % line)
        except OSError:
            pass
    open_for[index] = time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=8)
    parser.add_argument("--line-mb", type=int, default=64)
    parser.add_argument("--trickle-seconds", type=float, default=30.0)
    args = parser.parse_args()

    port = _free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTLINE_")}
        env.update(VAULTLINE_DATA_DIR=data_dir, VAULTLINE_ACCESS_LOG="false")
        proc = subprocess.Popen(
            [VAULTLINE, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(port, proc)
            time.sleep(1)
            before = _status_kb(proc.pid, "VmRSS")

            sent = [0] * args.sockets
            threads = [
                threading.Thread(target=_flood, args=(port, args.line_mb << 20, sent, i)) for i in range(args.sockets)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            peak, after = _status_kb(proc.pid, "VmHWM"), _status_kb(proc.pid, "VmRSS")
            print(f"flood: {args.sockets} sockets x {args.line_mb} MB header line, {elapsed:.1f} s")
            print(f"  server RSS before {before / 1024:.0f} MB, peak {peak / 1024:.0f} MB, after {after / 1024:.0f} MB")
            print(f"  bytes sent per socket before the server stopped reading: {sorted(sent)}")

            open_for = [0.0] * args.sockets
            threads = [
                threading.Thread(target=_trickle, args=(port, args.trickle_seconds, open_for, i))
                for i in range(args.sockets)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            kept = ", ".join(f"{t:.1f}" for t in sorted(open_for))
            cap = f"{args.trickle_seconds:.0f}"
            print(f"trickle: a header line every 2 s; seconds each connection stayed open (at most {cap}): {kept}")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
