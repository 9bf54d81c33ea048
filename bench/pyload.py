"""Fallback load generator when wrk is not installed: closed-loop HTTP/1.1 keep-alive requests
over raw asyncio sockets (uvloop when available), one process, N connections. Prints one JSON
object: requests, seconds, rps, p50_ms, p99_ms, statuses (non-200 counts), socket_errors.

    python bench/pyload.py --port 8000 --body-file body.json --header 'Authorization: Bearer k' \\
        --duration 10 --connections 32
    python bench/pyload.py --port 8000 --method GET --path /vault/connections --consumers 0 \\
        --header 'Authorization: Bearer k' --header 'x-apideck-consumer-id: c1'

A POST cycles ``x-apideck-consumer-id`` through ``--consumers`` ids; ``--consumers 0`` sends only
the given headers (a GET sends no body).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; returns (status, keep_alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    keep_alive = True
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection" and value.strip().lower() == b"close":
            keep_alive = False
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep_alive


async def _worker(
    args: argparse.Namespace,
    index: int,
    body: bytes,
    deadline: float,
    record: bool,
    latencies: list[float],
    statuses: Counter[int],
    errors: Counter[str],
) -> None:
    base_headers = "".join(f"{h}\r\n" for h in args.header)
    counter = index * 7919
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        if writer is None:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(args.host, args.port), 5)
            except (TimeoutError, OSError):
                errors["connect"] += 1
                await asyncio.sleep(0.05)
                continue
        assert reader is not None
        counter += 1
        consumer = f"x-apideck-consumer-id: bench-consumer-{counter % args.consumers}\r\n" if args.consumers else ""
        length = f"Content-Length: {len(body)}\r\n" if args.method != "GET" else ""
        start_line = f"{args.method} {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
        head = f"{start_line}{base_headers}{consumer}{length}\r\n"
        started = time.perf_counter()
        try:
            writer.write(head.encode() + body)
            status, keep_alive = await asyncio.wait_for(_read_response(reader), args.timeout)
        except TimeoutError:
            errors["timeout"] += 1
            writer.close()
            writer = None
            continue
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors["read"] += 1
            writer.close()
            writer = None
            continue
        if record:
            latencies.append(time.perf_counter() - started)
            if status != 200:
                statuses[status] += 1
        if not keep_alive:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _run(args: argparse.Namespace) -> dict[str, object]:
    body = b""
    if args.body_file:
        with open(args.body_file, "rb") as handle:
            body = handle.read()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    if args.warmup > 0:
        deadline = time.perf_counter() + args.warmup
        await asyncio.gather(
            *(_worker(args, i, body, deadline, False, latencies, statuses, errors) for i in range(args.connections))
        )
        errors.clear()
    started = time.perf_counter()
    deadline = started + args.duration
    await asyncio.gather(
        *(_worker(args, i, body, deadline, True, latencies, statuses, errors) for i in range(args.connections))
    )
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "statuses": {str(k): v for k, v in statuses.items()},
        "socket_errors": dict(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/vault/sessions")
    parser.add_argument("--method", default="POST", choices=("GET", "POST"))
    parser.add_argument("--body-file", help="the request body (POST)")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    try:
        from uvloop import run
    except ImportError:
        run = asyncio.run
    print(json.dumps(run(_run(args))))


if __name__ == "__main__":
    main()
