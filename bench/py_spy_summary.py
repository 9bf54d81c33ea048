"""Where the time goes: fold a py-spy raw profile (from ``bench/sessions.py --py-spy DIR`` or
``bench/hot_paths.py --py-spy DIR``) into
the hot path's parts. Each sample goes to the first part matching a frame, walking from the
innermost frame outwards; samples of other threads (aiosqlite's worker threads) are their own part.

    .venv/bin/python bench/py_spy_summary.py DIR/sqlite-c32-r1.txt [--cpu-us 1600]

``--cpu-us`` (the CPU us/req column of the same run) turns shares into microseconds per request.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

PARTS = [
    ("JWT: Ed25519 signature", r"OKPAlgorithm\.sign|session_tokens\.py:5[0-9]\)"),
    ("JWT: PyJWT encode (json + base64)", r"\(jwt/"),
    ("logging (access log)", r"\(logging/"),
    ("pydantic: body validation", r"model_validate_json|read_json_body|vaultline/fields"),
    ("pydantic: model_dump for claims", r"model_dump|settings_claim"),
    ("auth: HMAC + key cache", r"authenticate_application|hash_api_key|\(hmac"),
    ("consumer-log writer", r"\(vaultline/consumer_logs/recorder"),
    (
        "database: SQLAlchemy/driver on the loop (store reads, group commit)",
        r"\(sqlalchemy/|\(aiosqlite/|\(asyncpg/|sessions/recorder|store/",
    ),
    ("response: orjson + Response", r"vaultline/responses|starlette/responses\.py|orjson"),
    ("endpoint + minting (own code)", r"\(vaultline/(api|sessions/minting|sessions/request|tokens|clock)"),
    ("vaultline middleware", r"\(vaultline/middleware"),
    ("FastAPI/Starlette: routing, exit stacks, exception wrappers", r"\((fastapi|starlette)/"),
    ("uvicorn + httptools protocol", r"\(uvicorn/|httptools"),
    ("event loop (uvloop, C)", r"Runner\.run|\(asyncio/|uvloop"),
]
_RULES = [(name, re.compile(pattern)) for name, pattern in PARTS]


def summarize(path: str) -> tuple[Counter[str], int]:
    parts: Counter[str] = Counter()
    total = 0
    with open(path) as handle:
        for line in handle:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            samples = int(count)
            total += samples
            # --subprocesses (bench/hot_paths.py) puts a "process NNN:..." frame first
            frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
            if frames and frames[0].startswith("thread") and "MainThread" not in frames[0]:
                parts["other threads (aiosqlite workers: sqlite3 on the other core)"] += samples
                continue
            parts[_part_of(frames)] += samples
    return parts, total


def _part_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, rule in _RULES:
            if rule.search(frame):
                return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", help="a py-spy --format raw file")
    parser.add_argument("--cpu-us", type=float, help="server CPU us per request of the same run")
    args = parser.parse_args()
    parts, total = summarize(args.profile)
    print(f"{args.profile}: {total} samples")
    for name, samples in parts.most_common():
        share = samples / total if total else 0.0
        micros = f"  ~{share * args.cpu_us:5.0f} us/req" if args.cpu_us else ""
        print(f"  {share * 100:5.1f}%{micros}  {name}")


if __name__ == "__main__":
    main()
