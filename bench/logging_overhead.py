"""What consumer logging costs the request path: a consumer-scoped GET that is logged
(``GET /vault/connections`` by default; ``--path /vault/sessions`` is a cheaper one, where the
same cost weighs more) against the real server with ``VAULTLINE_CONSUMER_LOGS`` on and off.

    .venv/bin/python bench/logging_overhead.py [--backend sqlite|postgres] [--path /vault/connections]
        [--duration 5] [--connections 16] [--repeat 2]

Each round starts ``vaultline serve`` (one worker, loopback only) on the same database, runs
wrk (or a small Python load when wrk is missing) for ``--duration`` seconds after a warm-up,
and stops it; on and off alternate so drift on a busy machine hits both. Prints requests/s,
p50/p99 and the server's CPU time per request (user + system, from /proc) for each mode, the
median overhead, and how many log rows the logged rounds wrote (every call should have one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
VAULTLINE = str(Path(sys.executable).parent / "vaultline")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
_WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([VAULTLINE, *args], env=env, capture_output=True, text=True, check=True, timeout=60).stdout


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    quiet = subprocess.DEVNULL  # its banner and INFO lines would bury the figures
    process = subprocess.Popen(
        [VAULTLINE, "serve", "--host", HOST, "--port", str(port)], env=env, stdout=quiet, stderr=quiet
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not become ready in 30 s")


def wrk(port: int, path: str, headers: dict[str, str], duration: float, connections: int) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://{HOST}:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"the load saw errors, the run is invalid:\n{output}")
    latency = {p: float(v) * _UNITS[u] for p, v, u in _WRK_LATENCY.findall(output)}
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return {"requests": requests, "p50_ms": latency["50"], "p99_ms": latency["99"]}


async def _python_load(
    port: int, path: str, headers: dict[str, str], duration: float, connections: int
) -> dict[str, float]:
    head = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    latencies: list[float] = []
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(head.encode())
            response_head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in response_head.split(b"\r\n", 1)[0]:
                raise SystemExit(f"non-200 answer: {response_head[:200]!r}")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", response_head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(len(latencies) * 0.99)],
    }


def load(port: int, path: str, headers: dict[str, str], duration: float, connections: int) -> dict[str, float]:
    if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0:
        return wrk(port, path, headers, duration, connections)
    return asyncio.run(_python_load(port, path, headers, duration, connections))


def one_round(env: dict[str, str], headers: dict[str, str], args: argparse.Namespace, logged: bool) -> dict[str, Any]:
    port = free_port()
    process = serve({**env, "VAULTLINE_CONSUMER_LOGS": "true" if logged else "false"}, port)
    try:
        load(port, args.path, headers, min(2.0, args.duration), args.connections)  # warm-up: caches, pools
        cpu_before, started = cpu_seconds(process.pid), time.perf_counter()
        result = load(port, args.path, headers, args.duration, args.connections)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(process.pid) - cpu_before
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return {**result, "rps": result["requests"] / seconds, "cpu_us": cpu / result["requests"] * 1e6}


def count_log_rows(env: dict[str, str], data_dir: Path) -> int | None:
    if "VAULTLINE_DATABASE_URL" in env:
        return None  # only counted on SQLite, which needs no driver here
    with sqlite3.connect(data_dir / "vaultline.db") as connection:
        row = connection.execute("SELECT count(*) FROM consumer_logs WHERE consumer_id = 'bench-consumer'").fetchone()
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--path", default="/vault/connections", choices=["/vault/connections", "/vault/sessions"])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vaultline-bench-logs-") as tmp:
        data_dir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTLINE_")}
        env |= {"VAULTLINE_DATA_DIR": str(data_dir), "VAULTLINE_ACCESS_LOG": "false"}
        database = f"vaultline_bench_logs_{os.getpid()}"
        if args.backend == "postgres":
            subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {database}"], check=True)
            env["VAULTLINE_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
            env["VAULTLINE_MASTER_KEY"] = cli(env, "keys", "generate-master").strip()
        try:
            cli(env, "migrate")
            created = json.loads(cli(env, "apps", "create", "--name", "Bench", "--json"))
            app_id, api_key = created["application_id"], created["api_key"]
            cli(env, "integrations", "enable", "--app", app_id, "pipedrive", "hubspot", "bamboohr")
            headers = {
                "Authorization": f"Bearer {api_key}",
                "x-apideck-app-id": app_id,
                "x-apideck-consumer-id": "bench-consumer",
            }
            rounds: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
            for _ in range(args.repeat):
                for logged in (False, True):
                    rounds[logged].append(one_round(env, headers, args, logged))
            rows = count_log_rows(env, data_dir)
        finally:
            if args.backend == "postgres":
                subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=False)
    report(rounds, rows, args)


def report(rounds: dict[bool, list[dict[str, Any]]], rows: int | None, args: argparse.Namespace) -> None:
    runs = f"{args.connections} connections, {args.repeat} x {args.duration:.0f} s per mode"
    print(f"GET {args.path}, {args.backend}, {runs}")  # noqa: T201
    medians = {}
    for logged, label in ((False, "logs off"), (True, "logs on ")):
        keys = ("rps", "p50_ms", "p99_ms", "cpu_us")
        medians[logged] = {k: statistics.median(r[k] for r in rounds[logged]) for k in keys}
        m = medians[logged]
        print(  # noqa: T201
            f"  {label}: {m['rps']:8.0f} req/s   p50 {m['p50_ms']:6.2f} ms   p99 {m['p99_ms']:6.2f} ms"
            f"   {m['cpu_us']:6.0f} µs CPU/request"
        )
    on, off = medians[True], medians[False]
    print(  # noqa: T201
        f"  overhead: {(1 - on['rps'] / off['rps']) * 100:+.1f}% throughput cost, "
        f"{on['cpu_us'] - off['cpu_us']:+.0f} µs CPU/request, p50 {on['p50_ms'] - off['p50_ms']:+.2f} ms"
    )
    if rows is not None:
        logged_requests = sum(int(r["requests"]) for r in rounds[True])
        print(f"  log rows written while logging: {rows} (measured requests alone: {logged_requests})")  # noqa: T201


if __name__ == "__main__":
    main()
