"""Benchmark the four paths a deployment lives on, each against its bare floor, in one run:

    credentials  GET /vault/connections/crm/pipedrive/credentials, with the application's API key,
                 for a consumer whose Pipedrive connection is callable (set up first)
    list         GET /vault/connections with a session token, as Vault JS sends it
                 (Authorization: Bearer <jwt>, x-apideck-auth-type: JWT, x-apideck-app-id,
                 x-apideck-consumer-id)
    hosted       GET /hosted/{session}/integrations with the Hosted Vault's session cookie,
                 obtained by opening the session_uri as a browser does
    mint         POST /vault/sessions with the seed body (tests/seed_example.py), 1000 consumer ids

The one command (wrk -t1, 32 connections, one worker, SQLite and PostgreSQL, all four paths):

    .venv/bin/python bench/hot_paths.py [--duration 10]

For each server target (``sqlite``, ``postgres``: a fresh database, dropped afterwards) and each
``--workers`` count: start ``vaultline serve`` on a free loopback port, create an application
(``vaultline apps create``), offer every integration, connect Pipedrive with an API token for
consumer ``bench-consumer``, mint a session for it and open its session_uri for the cookie, check
each path answers 200 once, then per path warm up and run the load (wrk with ``--latency`` when
installed, else ``bench/pyload.py``). Then per path the floor: ``bench/bare_app.py`` (a bare
Starlette app, one worker) answering the same method with a body of the same size and type.

Printed per path and target: requests/s, p50, p99, the server's CPU µs per request (user +
system of every process in the server's process group, from /proc: steadier than requests/s on
a shared machine), the response size, errors (any non-200 or socket error makes the run
invalid), the ratio to the floor and the issue-12 target next to it: credentials >= 0.25 with
p99 <= 20 ms, list >= 0.2, hosted >= 0.15, mint >= 0.3; PostgreSQL's ratio >= 0.8x SQLite's.

Options: ``--paths credentials,list,hosted,mint``, ``--targets sqlite,postgres``,
``--duration S``, ``--warmup S``, ``--connections N``, ``--workers 1,2`` (the 1 vs 2 workers
figure: each count is its own row; the floor stays one worker), ``--python-load`` (force the
Python load generator), ``--py-spy DIR`` (record a py-spy raw profile of each measured server
run, for ``bench/py_spy_summary.py``; perturbs the figures), ``--keep`` (keep server logs).
``PYTHONPATH=/path/to/copy/src`` measures a patched copy, as with ``bench/sessions.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sessions import (
    BENCH_DIR,
    HOST,
    REPO,
    BenchError,
    Load,
    _clean_env,
    _drive,
    _free_port,
    _pg,
    _probe,
    _run,
    _spawn,
    _stop,
    _wait_ready,
    drop_databases,
    find_vaultline,
    parse_wrk_output,
    run_guarded,
    start_py_spy,
)

ALL_PATHS = ("credentials", "list", "hosted", "mint")
SERVER_TARGETS = ("sqlite", "postgres")
CONSUMER = "bench-consumer"
PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"
LABELS = {
    "credentials": "GET /vault/connections/crm/pipedrive/credentials (API key)",
    "list": "GET /vault/connections (session token)",
    "hosted": "GET /hosted/{session}/integrations (cookie)",
    "mint": "POST /vault/sessions (seed body)",
}
# Issue 12's targets: the ratio to the floor, and a p99 bound where it names one.
RATIO_TARGETS = {"credentials": 0.25, "list": 0.2, "hosted": 0.15, "mint": 0.3}
P99_TARGETS_MS = {"credentials": 20.0}
POSTGRES_VS_SQLITE_TARGET = 0.8

Measure = tuple[float, float, float, int, dict[str, int], dict[str, int]]


@dataclass
class PathLoad:
    """One path, ready to be driven: what to send and what a 200 looked like."""

    name: str
    method: str
    path: str
    headers: dict[str, str]
    response_bytes: int
    html: bool
    mint: Load | None = None  # POST /vault/sessions goes through bench/sessions.py's driver


@dataclass
class Row:
    path: str
    target: str
    workers: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_us: float
    response_bytes: int
    errors: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- measuring


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU used so far by every live process in the group (uvicorn's workers too)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _drive_get(load: PathLoad, port: int, args: argparse.Namespace, duration: float) -> Measure:
    if args.use_wrk:
        cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
        cmd += ["--latency", "-s", str(BENCH_DIR / "get_path.lua"), f"http://{HOST}:{port}{load.path}"]
        headers = "\n".join(f"{name}: {value}" for name, value in load.headers.items())
        return parse_wrk_output(_run(cmd, env=_clean_env(BENCH_HEADERS=headers), timeout=duration + 60))
    cmd = [sys.executable, str(BENCH_DIR / "pyload.py"), "--port", str(port), "--method", "GET"]
    cmd += ["--path", load.path, "--consumers", "0", "--duration", str(duration)]
    cmd += ["--connections", str(args.connections)]
    for name, value in load.headers.items():
        cmd += ["--header", f"{name}: {value}"]
    out = json.loads(_run(cmd, env=_clean_env(), timeout=duration + 60).strip().splitlines()[-1])
    statuses = {str(k): int(v) for k, v in out["statuses"].items()}
    errors = {str(k): int(v) for k, v in out["socket_errors"].items()}
    return float(out["rps"]), float(out["p50_ms"]), float(out["p99_ms"]), int(out["requests"]), statuses, errors


def _drive_path(load: PathLoad, port: int, args: argparse.Namespace, duration: float) -> Measure:
    if load.mint is not None:
        return _drive(load.mint, args=args, connections=args.connections, duration=duration, use_wrk=args.use_wrk)
    return _drive_get(load, port, args, duration)


def _measure(
    args: argparse.Namespace, proc: subprocess.Popen[bytes], load: PathLoad, port: int, target: str, workers: int
) -> Row:
    print(f"  {load.name:<12} {target:<9} workers={workers} ...", end="", flush=True)
    if args.warmup > 0:
        _drive_path(load, port, args, args.warmup)
    profiler = None
    if args.py_spy:
        profiler = start_py_spy(Path(args.py_spy), proc.pid, f"{load.name}-{target}-w{workers}", args.duration)
    cpu_before = _group_cpu_seconds(proc.pid)
    try:
        rps, p50, p99, total, non_200, sock = _drive_path(load, port, args, args.duration)
    finally:
        if profiler is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                profiler.wait(timeout=30)
            _stop(profiler, grace=5.0)
    cpu_us = (_group_cpu_seconds(proc.pid) - cpu_before) / max(total, 1) * 1e6
    row = Row(load.name, target, workers, rps, p50, p99, total, cpu_us, load.response_bytes, {**non_200, **sock})
    print(f" {rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  CPU {cpu_us:5.0f} us/req  errors {row.errors}")
    return row


# ---------------------------------------------------------------- setting up a server


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _ok(port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> bytes:
    """One request that must answer 200; returns its body."""
    status, _, payload = _request(port, method, path, headers, body)
    if status != 200:
        raise BenchError(f"{method} {path} answered {status}: {payload[:500]!r}")
    return payload


def _json_call(port: int, method: str, path: str, headers: dict[str, str], body: object) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_ok(port, method, path, headers, json.dumps(body).encode()))["data"]
    return data


def prepare_server(
    args: argparse.Namespace, vaultline: str, env: dict[str, str], port: int, seed: bytes, body_file: Path
) -> dict[str, PathLoad]:
    """An application offering everything, a callable Pipedrive connection, an opened session."""
    created = json.loads(_run([vaultline, "apps", "create", "--name", "bench", "--json"], env=env))
    api_key, app_id = created["api_key"], created["application_id"]
    _run([vaultline, "integrations", "enable", "--app", app_id, "--all"], env=env)
    backend = {
        "Authorization": f"Bearer {api_key}",
        "x-apideck-app-id": app_id,
        "x-apideck-consumer-id": CONSUMER,
        "Accept": "application/json",
    }
    connect = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    json_headers = {**backend, "Content-Type": "application/json"}
    connected = _json_call(port, "PATCH", "/vault/connections/crm/pipedrive", json_headers, connect)
    if connected.get("state") != "callable":
        raise BenchError(f"Pipedrive did not become callable: {connected}")
    session = _json_call(port, "POST", "/vault/sessions", json_headers, json.loads(seed))
    browser = {
        "Authorization": f"Bearer {session['session_token']}",
        "x-apideck-app-id": app_id,
        "x-apideck-consumer-id": CONSUMER,
        "x-apideck-auth-type": "JWT",
        "Accept": "application/json",
    }
    status, opened, _ = _request(port, "GET", urlsplit(session["session_uri"]).path, {"Accept": "text/html"})
    cookie = next((c.split(";")[0] for c in opened.get_all("set-cookie") or [] if "vaultline_session=" in c), "")
    if status != 303 or not cookie:
        raise BenchError(f"opening the session_uri answered {status} without the session cookie")
    hosted_base = "/".join(urlsplit(opened["location"]).path.split("/")[:3])  # /hosted/<session id>
    hosted_headers = {"Cookie": cookie, "Accept": "text/html"}
    gets = {
        "credentials": ("/vault/connections/crm/pipedrive/credentials", backend, False),
        "list": ("/vault/connections", browser, False),
        "hosted": (hosted_base + "/integrations", hosted_headers, True),
    }
    loads: dict[str, PathLoad] = {}
    for name in args.paths:
        if name == "mint":
            mint = Load(body_file, api_key, app_id, port)
            loads[name] = PathLoad(name, "POST", "/vault/sessions", {}, _probe(mint, seed), False, mint)
        else:
            path, headers, html = gets[name]
            loads[name] = PathLoad(name, "GET", path, headers, len(_ok(port, "GET", path, headers)), html)
    return loads


def _server_env(target: str, workdir: Path, vaultline: str, databases: list[str]) -> dict[str, str]:
    env = _clean_env(VAULTLINE_DATA_DIR=str(workdir / f"data-{target}-{len(databases)}-{os.urandom(3).hex()}"))
    # The bench's made-up Pipedrive token must not go to the real provider (nor its latency into the figures).
    env["VAULTLINE_VERIFY_CREDENTIALS"] = "false"
    if target == "postgres":
        database = f"vaultline_bench_{os.urandom(4).hex()}"
        _pg(f'CREATE DATABASE "{database}"')
        databases.append(database)
        env["VAULTLINE_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
        env["VAULTLINE_MASTER_KEY"] = _run([vaultline, "keys", "generate-master"], env=env).strip()
    return env


def _with_server(
    cmd: list[str], env: dict[str, str], log: Path, use: Callable[[subprocess.Popen[bytes], int], None]
) -> None:
    port = _free_port()
    proc = _spawn([*cmd, "--port", str(port)], env=env, log_path=log)
    try:
        _wait_ready(proc, port, "/healthz", log)
        use(proc, port)
    finally:
        _stop(proc)


def run_all(args: argparse.Namespace, vaultline: str, workdir: Path, databases: list[str]) -> list[Row]:
    seed: dict[str, Any] = runpy.run_path(str(REPO / "tests" / "seed_example.py"))["SEED_SESSION_BODY"]
    body = json.dumps(seed).encode()
    body_file = workdir / "body.json"
    body_file.write_bytes(body)
    rows: list[Row] = []
    floors: dict[str, PathLoad] = {}
    for workers in args.workers:
        for target in args.targets:
            env = _server_env(target, workdir, vaultline, databases)
            cmd = [vaultline, "serve", "--host", HOST, "--workers", str(workers)]

            def measure_all(proc: subprocess.Popen[bytes], port: int, env: dict[str, str] = env) -> None:
                loads = prepare_server(args, vaultline, env, port, body, body_file)
                for name, load in loads.items():
                    floors.setdefault(name, load)
                    rows.append(_measure(args, proc, load, port, target, workers))  # noqa: B023 - called at once

            try:
                _with_server(cmd, env, workdir / f"{target}-w{workers}.log", measure_all)
            finally:
                drop_databases(databases)
    for name, load in floors.items():
        cmd = [sys.executable, str(BENCH_DIR / "bare_app.py"), "--host", HOST, "--response-bytes"]
        cmd += [str(load.response_bytes), "--get-bytes", str(load.response_bytes)]
        cmd += ["--get-type", "html" if load.html else "json"]

        def measure_floor(proc: subprocess.Popen[bytes], port: int, load: PathLoad = load) -> None:
            bare = PathLoad(load.name, load.method, load.path, load.headers, load.response_bytes, load.html)
            if load.mint is not None:
                bare.mint = Load(load.mint.body_file, "bare-has-no-key", "bare", port)
            rows.append(_measure(args, proc, bare, port, "bare", 1))

        _with_server(cmd, _clean_env(), workdir / f"bare-{name}.log", measure_floor)
    return rows


# ---------------------------------------------------------------- report


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_report(args: argparse.Namespace, rows: list[Row]) -> bool:
    tool = "wrk -t1" if args.use_wrk else "bench/pyload.py"
    print()
    print(f"{args.duration:g} s per run after {args.warmup:g} s warm-up, {args.connections} connections, load: {tool}")
    if args.py_spy:
        print("NOTE: py-spy was attached during the measured runs; figures are perturbed.")
    header = f"{'path':<12}{'target':<10}{'workers':>7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/req':>11}"
    header += f"{'bytes':>8}{'errors':>7}{'ratio':>7}  target"
    print(header)
    print("-" * len(header))
    valid = True
    for name in args.paths:
        floor = next((r for r in rows if r.path == name and r.target == "bare"), None)
        sqlite_ratio: dict[int, float] = {}
        print(LABELS[name])
        for row in [r for r in rows if r.path == name]:
            errors = sum(row.errors.values())
            valid = valid and errors == 0
            line = f"{'':<12}{row.target:<10}{row.workers:>7}{row.rps:>9.0f}{row.p50_ms:>9.2f}{row.p99_ms:>9.2f}"
            line += f"{row.cpu_us:>11.0f}{row.response_bytes:>8}{errors:>7}"
            if row.target != "bare" and floor is not None and floor.rps:
                ratio = row.rps / floor.rps
                goal = RATIO_TARGETS[name]
                met = ratio >= goal
                wanted = f">= {goal:.2f}"
                if name in P99_TARGETS_MS:
                    met = met and row.p99_ms <= P99_TARGETS_MS[name]
                    wanted += f", p99 <= {P99_TARGETS_MS[name]:g} ms"
                line += f"{ratio:>7.2f}  {wanted}: {_verdict(met)}"
                if row.target == "sqlite":
                    sqlite_ratio[row.workers] = ratio
                elif row.target == "postgres" and sqlite_ratio.get(row.workers):
                    versus = ratio / sqlite_ratio[row.workers]
                    line += f"; {versus:.2f}x SQLite (>= {POSTGRES_VS_SQLITE_TARGET}x): "
                    line += _verdict(versus >= POSTGRES_VS_SQLITE_TARGET)
            if errors:
                line += f"  INVALID {row.errors}"
            print(line)
    if not valid:
        print("\nINVALID: some requests failed (see above); these figures do not count.")
    return valid


# ---------------------------------------------------------------- main


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", default=",".join(ALL_PATHS), help=f"comma-separated, from {','.join(ALL_PATHS)}")
    parser.add_argument("--targets", default="sqlite,postgres", help="comma-separated, from sqlite,postgres")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per run (10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of discarded load before each run (3)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections (32)")
    parser.add_argument("--workers", default="1", help="server worker counts, comma-separated, e.g. 1,2 (1)")
    parser.add_argument("--python-load", action="store_true", help="use bench/pyload.py even when wrk is installed")
    parser.add_argument("--py-spy", metavar="DIR", help="record a py-spy raw profile of each server run into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs)")
    args = parser.parse_args(argv)
    paths, targets = _csv(args.paths), _csv(args.targets)
    args.paths = [p for p in ALL_PATHS if p in paths]
    args.targets = [t for t in SERVER_TARGETS if t in targets]
    try:
        args.workers = [int(w) for w in _csv(args.workers)]
    except ValueError:
        parser.error("--workers takes integers, e.g. 1 or 1,2")
    if set(paths) - set(ALL_PATHS) or set(targets) - set(SERVER_TARGETS) or not args.paths or not args.targets:
        parser.error(f"--paths from {','.join(ALL_PATHS)}; --targets from {','.join(SERVER_TARGETS)}")
    if not args.workers or min(args.workers) < 1 or args.connections < 1 or not 0 < args.duration <= 600:
        parser.error("--workers and --connections positive, --duration in (0, 600]")
    args.use_wrk = shutil.which("wrk") is not None and not args.python_load
    args.threads = 1  # bench/sessions.py's driver reads these two
    args.consumers = 1000
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    vaultline = find_vaultline()
    if vaultline is None:
        print("vaultline is not installed in this Python environment", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="vaultline-hot-paths-"))
    databases: list[str] = []
    print(f"load generator: {'wrk' if args.use_wrk else 'bench/pyload.py'}; work dir {workdir}")
    rows: list[Row] = []
    failed = run_guarded(
        lambda: rows.extend(run_all(args, vaultline, workdir, databases)),
        workdir=workdir,
        keep=args.keep,
        databases=databases,
    )
    if failed is not None:
        return failed
    return 0 if print_report(args, rows) else 1


if __name__ == "__main__":
    sys.exit(main())
