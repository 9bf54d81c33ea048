"""Benchmark ``POST /vault/sessions``: the real server (one worker) on SQLite and on PostgreSQL,
against a bare Starlette app answering a same-sized JSON body to the same POST, all driven by
the same load in one run.

    .venv/bin/python bench/sessions.py [--duration 10] [--connections 32[,64...]] [--repeat 3]

For each target: start the server as a subprocess on a free loopback port, create an
application with ``vaultline apps create``, check one request answers 200, warm up, run the
load (wrk with ``--latency`` when installed, else ``bench/pyload.py`` in its own process),
stop the server. PostgreSQL gets a fresh database that is dropped afterwards. Prints
requests/s, p50 and p99 per target, non-200 and socket errors (any error makes the run
invalid), the server's CPU time per request (user + system, all threads, from /proc: steadier
than requests/s on a busy machine), and the ratio Vaultline / bare floor.

To compare a patched copy of the server with the checkout, run the same command with
``PYTHONPATH=/path/to/copy/src``: the servers and the CLI import ``vaultline`` from there first.

Options worth knowing: ``--targets sqlite,postgres,bare`` (add ``sqlite-nolog`` for a row with
the access log off), ``--python-load`` to force the Python load generator, ``--py-spy DIR`` to
record a py-spy profile of each server during its measured run (perturbs the figures).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ALL_TARGETS = ("sqlite", "sqlite-nolog", "postgres", "bare")
DEFAULT_TARGETS = "sqlite,postgres,bare"
DEFAULT_RESPONSE_BYTES = 2100


@dataclass
class Result:
    target: str
    connections: int
    repeat: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_us_per_request: float
    non_200: dict[str, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(self.non_200.values()) + sum(self.socket_errors.values())


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- processes


_children: list[subprocess.Popen[bytes]] = []


def _spawn(cmd: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    try:
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    finally:
        log.close()
    _children.append(proc)
    return proc


def _stop(proc: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """SIGINT the process group we created (uvicorn shuts down cleanly), then SIGKILL it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    if proc in _children:
        _children.remove(proc)


def _stop_all() -> None:
    for proc in list(_children):
        with contextlib.suppress(Exception):
            _stop(proc, grace=5.0)


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process (all its threads) has used so far; NaN where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    """Our environment without any VAULTLINE_* setting (defaults are what we measure), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTLINE_")}
    env.update(extra)
    return env


def _run(cmd: list[str], *, env: dict[str, str], timeout: float = 60.0) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(cmd[:3])} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def _wait_ready(proc: subprocess.Popen[bytes], port: int, path: str, log_path: Path, timeout: float = 60.0) -> None:
    """Until ``GET path`` gets any HTTP answer (the bare app answers 404 to /healthz)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode}; see {log_path}:\n{_tail(log_path)}")
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise BenchError(f"server not ready after {timeout:.0f}s; see {log_path}:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# ---------------------------------------------------------------- load


@dataclass
class Load:
    body_file: Path
    api_key: str
    app_id: str
    port: int


def _probe(load: Load, body: bytes) -> int:
    """One request: must be 200; returns the response body size."""
    conn = http.client.HTTPConnection(HOST, load.port, timeout=10)
    try:
        conn.request("POST", "/vault/sessions", body=body, headers=_headers(load, "bench-probe"))
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise BenchError(f"probe answered {response.status}: {payload[:500]!r}")
    return len(payload)


def _headers(load: Load, consumer_id: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {load.api_key}",
        "x-apideck-app-id": load.app_id,
        "x-apideck-consumer-id": consumer_id,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def _drive(
    load: Load, *, args: argparse.Namespace, connections: int, duration: float, use_wrk: bool
) -> tuple[float, float, float, int, dict[str, int], dict[str, int]]:
    """Run the load once: (rps, p50 ms, p99 ms, requests, non-200 counts, socket errors)."""
    if use_wrk:
        return _drive_wrk(load, args=args, connections=connections, duration=duration)
    return _drive_python(load, args=args, connections=connections, duration=duration)


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _drive_wrk(
    load: Load, *, args: argparse.Namespace, connections: int, duration: float
) -> tuple[float, float, float, int, dict[str, int], dict[str, int]]:
    threads = max(1, min(args.threads, connections))
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(BENCH_DIR / "post_session.lua"),
        f"http://{HOST}:{load.port}/vault/sessions",
    ]
    env = _clean_env(
        BENCH_BODY_FILE=str(load.body_file),
        BENCH_API_KEY=load.api_key,
        BENCH_APP_ID=load.app_id,
        BENCH_CONSUMERS=str(args.consumers),
    )
    return parse_wrk_output(_run(cmd, env=env, timeout=duration + 60))


def parse_wrk_output(out: str) -> tuple[float, float, float, int, dict[str, int], dict[str, int]]:
    """(rps, p50 ms, p99 ms, requests, non-200 counts, socket errors) from ``wrk --latency`` with
    one of our Lua scripts (their ``BENCH_STATUS`` line counts every status other than 200)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    pct = {
        m.group(1): float(m.group(2)) * _UNIT_MS[m.group(3)]
        for m in re.finditer(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    if not rps or not total or "50" not in pct or "99" not in pct:
        raise BenchError(f"could not parse wrk output:\n{out}")
    non_200: dict[str, int] = {}
    status_line = re.search(r"^BENCH_STATUS (.*)$", out, re.M)
    if status_line:
        for status, count in re.findall(r"(\d+)=(\d+)", status_line.group(1)):
            non_200[status] = non_200.get(status, 0) + int(count)
    else:
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if non2xx:
            non_200["non-2xx/3xx"] = int(non2xx.group(1))
    socket_errors: dict[str, int] = {}
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        for name, value in zip(("connect", "read", "write", "timeout"), sock.groups(), strict=True):
            if int(value):
                socket_errors[name] = int(value)
    return float(rps.group(1)), pct["50"], pct["99"], int(total.group(1)), non_200, socket_errors


def _drive_python(
    load: Load, *, args: argparse.Namespace, connections: int, duration: float
) -> tuple[float, float, float, int, dict[str, int], dict[str, int]]:
    cmd = [
        sys.executable,
        str(BENCH_DIR / "pyload.py"),
        "--port",
        str(load.port),
        "--body-file",
        str(load.body_file),
        "--duration",
        str(duration),
        "--connections",
        str(connections),
        "--consumers",
        str(args.consumers),
    ]
    for name, value in _headers(load, "").items():
        if name != "x-apideck-consumer-id":
            cmd += ["--header", f"{name}: {value}"]
    out = json.loads(_run(cmd, env=_clean_env(), timeout=duration + 60).strip().splitlines()[-1])
    return (
        float(out["rps"]),
        float(out["p50_ms"]),
        float(out["p99_ms"]),
        int(out["requests"]),
        {str(k): int(v) for k, v in out["statuses"].items()},
        {str(k): int(v) for k, v in out["socket_errors"].items()},
    )


# ---------------------------------------------------------------- targets


@dataclass
class Context:
    args: argparse.Namespace
    workdir: Path
    body: bytes
    body_file: Path
    use_wrk: bool
    vaultline: str
    response_bytes: int | None = None
    databases: list[str] = field(default_factory=list)


def _pg(sql: str) -> None:
    """Run one statement as the PostgreSQL superuser (through asyncpg, which the server uses)."""
    code = (
        "import asyncio, sys, asyncpg\n"
        "async def main():\n"
        "    c = await asyncpg.connect(sys.argv[1], timeout=10)\n"
        "    try:\n"
        "        await c.execute(sys.argv[2])\n"
        "    finally:\n"
        "        await c.close()\n"
        "asyncio.run(main())\n"
    )
    _run([sys.executable, "-c", code, PG_ADMIN_URL, sql], env=_clean_env(), timeout=60)


def _server_env(ctx: Context, target: str, repeat: int) -> dict[str, str]:
    data_dir = ctx.workdir / f"{target}-{repeat}"
    env = _clean_env(VAULTLINE_DATA_DIR=str(data_dir))
    if target == "sqlite-nolog":
        env["VAULTLINE_ACCESS_LOG"] = "false"
    if target == "postgres":
        database = f"vaultline_bench_{secrets.token_hex(4)}"
        _pg(f'CREATE DATABASE "{database}"')
        ctx.databases.append(database)
        env["VAULTLINE_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
        env["VAULTLINE_MASTER_KEY"] = _run([ctx.vaultline, "keys", "generate-master"], env=env).strip()
    return env


def drop_databases(databases: list[str]) -> None:
    """Drop the benchmark's PostgreSQL databases, forgetting each one dropped."""
    for database in list(databases):
        try:
            _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            databases.remove(database)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            print(f"warning: could not drop database {database}: {exc}", file=sys.stderr)


def run_target(ctx: Context, target: str, repeat: int) -> list[Result]:
    args = ctx.args
    port = _free_port()
    log_path = ctx.workdir / f"{target}-{repeat}.log"
    if target == "bare":
        size = ctx.response_bytes or DEFAULT_RESPONSE_BYTES
        cmd = [sys.executable, str(BENCH_DIR / "bare_app.py"), "--port", str(port), "--response-bytes", str(size)]
        proc = _spawn(cmd, env=_clean_env(), log_path=log_path)
        load = Load(ctx.body_file, "bare-has-no-key", "bare", port)
    else:
        env = _server_env(ctx, target, repeat)
        cmd = [ctx.vaultline, "serve", "--host", HOST, "--port", str(port), "--workers", "1"]
        proc = _spawn(cmd, env=env, log_path=log_path)
    try:
        _wait_ready(proc, port, "/healthz", log_path)
        if target != "bare":
            created = json.loads(_run([ctx.vaultline, "apps", "create", "--name", "bench", "--json"], env=env))
            load = Load(ctx.body_file, created["api_key"], created["application_id"], port)
        size = _probe(load, ctx.body)
        if target != "bare" and ctx.response_bytes is None:
            ctx.response_bytes = size
        results = []
        for connections in args.connections:
            print(f"  {target:<13} c={connections:<4} run {repeat + 1}/{args.repeat} ...", end="", flush=True)
            if args.warmup > 0:
                _drive(load, args=args, connections=connections, duration=args.warmup, use_wrk=ctx.use_wrk)
            profiler = _start_py_spy(ctx, proc, target, connections, repeat)
            cpu_before = _cpu_seconds(proc.pid)
            try:
                rps, p50, p99, total, non_200, sock = _drive(
                    load, args=args, connections=connections, duration=args.duration, use_wrk=ctx.use_wrk
                )
            finally:
                if profiler is not None:
                    _finish_py_spy(profiler)
            cpu_us = (_cpu_seconds(proc.pid) - cpu_before) / max(total, 1) * 1e6
            result = Result(target, connections, repeat, rps, p50, p99, total, cpu_us, non_200, sock)
            print(
                f" {rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  server CPU {cpu_us:5.0f} us/req"
                f"  errors {result.errors}  ({size} B)"
            )
            if result.errors:
                print(f"    INVALID: non-200 {non_200 or '{}'}, socket errors {sock or '{}'}; see {log_path}")
            results.append(result)
        return results
    finally:
        _stop(proc)
        if target == "postgres":
            drop_databases(ctx.databases)


def _start_py_spy(
    ctx: Context, proc: subprocess.Popen[bytes], target: str, connections: int, repeat: int
) -> subprocess.Popen[bytes] | None:
    if not ctx.args.py_spy:
        return None
    name = f"{target}-c{connections}-r{repeat + 1}"
    args = ctx.args
    return start_py_spy(
        Path(args.py_spy), proc.pid, name, args.duration, rate=args.py_spy_rate, native=args.py_spy_native
    )


def start_py_spy(
    out_dir: Path, pid: int, name: str, duration: float, *, rate: int = 250, native: bool = False
) -> subprocess.Popen[bytes]:
    """Record a raw py-spy profile of ``pid`` and its children into ``out_dir/name.txt``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        raise BenchError("--py-spy needs py-spy (pip install py-spy into the virtualenv)")
    cmd = [py_spy, "record", "--pid", str(pid), "--rate", str(rate), "--subprocesses", "--threads"]
    cmd += ["--duration", str(max(1, round(duration))), "--format", "raw", "--output", str(out_dir / f"{name}.txt")]
    # --native has to pause the process to unwind C stacks; otherwise sample without pausing
    cmd.append("--native" if native else "--nonblocking")
    return _spawn(cmd, env=_clean_env(), log_path=out_dir / "py-spy.log")


def _finish_py_spy(profiler: subprocess.Popen[bytes]) -> None:
    try:
        profiler.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    _stop(profiler, grace=5.0)


# ---------------------------------------------------------------- report


def _fmt_spread(values: list[float], digits: int) -> str:
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f}"
    return f"{middle:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def print_report(results: list[Result], args: argparse.Namespace, use_wrk: bool, response_bytes: int | None) -> bool:
    tool = "wrk" if use_wrk else "bench/pyload.py"
    print()
    print(
        f"POST /vault/sessions, seed body, {args.duration:g} s per run after {args.warmup:g} s warm-up, "
        f"load: {tool}" + (f" -t{args.threads}" if use_wrk else "") + f", {args.consumers} consumer ids, "
        f"{args.repeat} run(s) per target" + (" (median, min-max)" if args.repeat > 1 else "")
    )
    print(f"response body: Vaultline {response_bytes or '?'} B, bare app padded to the same size")
    if args.py_spy:
        print("NOTE: py-spy was attached during the measured runs; figures are perturbed.")
    header = f"{'target':<18}{'conns':>6}  {'requests/s':<22}{'p50 ms':<24}{'p99 ms':<26}"
    header += f"{'CPU us/req':<18}{'errors':>7}"
    print(header)
    print("-" * len(header))
    valid = True
    for connections in args.connections:
        for target in args.targets:
            rows = [r for r in results if r.target == target and r.connections == connections]
            if not rows:
                continue
            errors = sum(r.errors for r in rows)
            valid = valid and errors == 0
            print(
                f"{_label(target):<18}{connections:>6}  {_fmt_spread([r.rps for r in rows], 0):<22}"
                f"{_fmt_spread([r.p50_ms for r in rows], 2):<24}{_fmt_spread([r.p99_ms for r in rows], 2):<26}"
                f"{_fmt_spread([r.cpu_us_per_request for r in rows], 0):<18}{errors:>7}"
            )
    print()
    for connections in args.connections:
        bare = {r.repeat: r.rps for r in results if r.target == "bare" and r.connections == connections}
        for target in args.targets:
            if target == "bare":
                continue
            ratios = [
                r.rps / bare[r.repeat]
                for r in results
                if r.target == target and r.connections == connections and bare.get(r.repeat)
            ]
            if ratios:
                goal = "  (goal >= 0.50)" if target == "sqlite" else ""
                print(f"ratio {_label(target)} / bare  c={connections}: {_fmt_spread(ratios, 2)}{goal}")
    for r in results:
        if r.errors:
            where = f"{r.target} c={r.connections} run {r.repeat + 1}"
            print(f"errors: {where}: non-200 {r.non_200}, socket {r.socket_errors}")
    if not valid:
        print("\nINVALID: some requests failed (see above); these figures do not count.")
    return valid


def _label(target: str) -> str:
    return {
        "sqlite": "vaultline-sqlite",
        "sqlite-nolog": "vl-sqlite-nolog",
        "postgres": "vaultline-pg",
        "bare": "bare-starlette",
    }[target]


# ---------------------------------------------------------------- main


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per target (10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of discarded load before each run (3)")
    parser.add_argument(
        "--connections", default="32", help="concurrent keep-alive connections; a comma-separated list runs each (32)"
    )
    parser.add_argument("--targets", default=DEFAULT_TARGETS, help=f"comma-separated, from {','.join(ALL_TARGETS)}")
    parser.add_argument("--repeat", type=int, default=1, help="runs per target, interleaved; reports median and spread")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1 leaves the other core to the server)")
    parser.add_argument("--consumers", type=int, default=1000, help="distinct consumer ids cycled through (1000)")
    parser.add_argument("--python-load", action="store_true", help="use bench/pyload.py even when wrk is installed")
    parser.add_argument("--py-spy", metavar="DIR", help="record a py-spy raw profile of each server run into DIR")
    parser.add_argument("--py-spy-native", action="store_true", help="include native (C) frames in py-spy profiles")
    parser.add_argument("--py-spy-rate", type=int, default=250, help="py-spy samples per second (250)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs, databases)")
    args = parser.parse_args(argv)
    try:
        args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    except ValueError:
        parser.error("--connections takes integers, e.g. 32 or 16,32,64")
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in args.targets if t not in ALL_TARGETS]
    if unknown or not args.targets or not args.connections or min(args.connections) < 1:
        parser.error(f"--targets from {', '.join(ALL_TARGETS)}; --connections positive integers")
    if args.duration <= 0 or args.duration > 600 or args.repeat < 1 or args.repeat > 20:
        parser.error("--duration in (0, 600], --repeat in [1, 20]")
    # Vaultline targets first, so the bare app knows the real response size.
    args.targets = [t for t in ALL_TARGETS if t in args.targets]
    return args


def find_vaultline() -> str | None:
    """The ``vaultline`` command of this Python environment (else the one on PATH)."""
    return shutil.which("vaultline", path=str(Path(sys.executable).parent)) or shutil.which("vaultline")


def run_guarded(work: Callable[[], None], *, workdir: Path, keep: bool, databases: list[str]) -> int | None:
    """Run ``work``; an interrupt or a failed step becomes an exit code (130, 1), None is success.
    Always stops every child, drops the databases and removes ``workdir`` unless ``keep``."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        work()
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        _stop_all()
        drop_databases(databases)
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    vaultline = find_vaultline()
    if vaultline is None:
        print("vaultline is not installed in this Python environment", file=sys.stderr)
        return 2
    seed: dict[str, Any] = runpy.run_path(str(REPO / "tests" / "seed_example.py"))["SEED_SESSION_BODY"]
    body = json.dumps(seed).encode()
    workdir = Path(tempfile.mkdtemp(prefix="vaultline-bench-"))
    body_file = workdir / "body.json"
    body_file.write_bytes(body)
    ctx = Context(args, workdir, body, body_file, use_wrk, vaultline)
    print(f"load generator: {'wrk' if use_wrk else 'bench/pyload.py'}; work dir {workdir}; request body {len(body)} B")
    results: list[Result] = []

    def run_all() -> None:
        for repeat in range(args.repeat):
            for target in args.targets:
                results.extend(run_target(ctx, target, repeat))

    failed = run_guarded(run_all, workdir=workdir, keep=args.keep, databases=ctx.databases)
    if failed is not None:
        return failed
    valid = print_report(results, args, use_wrk, ctx.response_bytes)
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
