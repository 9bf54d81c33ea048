"""``vaultline keys …``: rotate and list signing keys, generate a master key."""

from __future__ import annotations

import argparse

from vaultline.clock import iso_from_ms
from vaultline.config import MAX_SESSION_SECONDS, Settings
from vaultline.crypto.master_key import generate_master_key_text
from vaultline.runtime import Runtime
from vaultline.store.signing_keys import RETIREMENT_MARGIN_MS, load_signing_keys, rotate_signing_key


async def rotate(settings: Settings, _args: argparse.Namespace) -> int:
    runtime = await Runtime.open(settings, background=False)
    try:
        async with runtime.engine.begin() as connection:
            kid, retired = await rotate_signing_key(connection, ring=runtime.master_keys)
    finally:
        await runtime.close()
    print(f"New signing key {kid}: running servers sign with it within {settings.key_refresh_seconds:g} s.")
    print("Tokens signed by earlier keys keep verifying until they expire.")
    if retired:
        print(f"Retired {len(retired)} key(s) older than the longest session: {', '.join(retired)}")
    return 0


async def list_keys(settings: Settings, _args: argparse.Namespace) -> int:
    runtime = await Runtime.open(settings, background=False)
    try:
        async with runtime.engine.connect() as connection:
            keys = await load_signing_keys(connection)
    finally:
        await runtime.close()
    horizon = MAX_SESSION_SECONDS * 1000 + RETIREMENT_MARGIN_MS
    for key, successor in zip(keys, [*keys[1:], None], strict=True):
        if successor is None:
            state = "signing"
        else:
            state = f"verify only, retires after {iso_from_ms(successor.created_at + horizon)}"
        print(f"{key.kid}  created {iso_from_ms(key.created_at)}  {state}")
    return 0


def generate_master(_settings: Settings, _args: argparse.Namespace) -> int:
    print(generate_master_key_text())
    return 0
