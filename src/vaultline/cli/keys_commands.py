"""``vaultline keys …``: rotate and list signing keys, generate a master key."""

from __future__ import annotations

import argparse

from vaultline.cli.errors import CommandError
from vaultline.clock import iso_from_ms
from vaultline.config import MAX_SESSION_SECONDS, Settings
from vaultline.crypto.envelope import DecryptionError
from vaultline.crypto.master_key import (
    MASTER_KEY_FILE,
    MasterKey,
    generate_master_key_text,
    load_master_keys,
    read_key_file_texts,
    uses_key_file,
    write_key_file,
)
from vaultline.crypto.rewrap_all import RewrapStalled, count_not_under_current, rewrap_all
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


async def rotate_master(settings: Settings, args: argparse.Namespace) -> int:
    """Re-wrap every secret under the first master key; see README "Rotating the master key"."""
    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    if args.generate:
        return _generate_into_key_file(settings)
    runtime = await Runtime.open(settings, background=False)
    try:
        ring = runtime.master_keys
        try:
            report = await rewrap_all(runtime.engine, ring, batch_size=args.batch_size)
        except (RewrapStalled, DecryptionError) as exc:
            raise CommandError(f"rotation stopped: {exc}") from None
        remaining = await count_not_under_current(runtime.engine, ring)
    finally:
        await runtime.close()
    for column, count in report.rewrapped.items():
        print(f"  {column}: {count} re-wrapped")
    if remaining:
        print(f"{remaining} value(s) are still under an old key (written meanwhile): run the command again.")
        return 1
    print(f"Every stored secret is sealed under {ring.current.key_id}.")
    old_ids = ", ".join(key.key_id for key in ring.previous)
    if uses_key_file(settings) and ring.previous:
        write_key_file(settings.data_dir, read_key_file_texts(settings.data_dir)[:1])
        print(f"Removed the old key(s) {old_ids} from {settings.data_dir / MASTER_KEY_FILE}.")
    elif ring.previous:
        print(f"You can now drop the old key(s) {old_ids} from VAULTLINE_MASTER_KEY on every instance.")
    return 0


def _generate_into_key_file(settings: Settings) -> int:
    if not uses_key_file(settings):
        raise CommandError(
            "--generate is for the generated key file of the embedded SQLite default. With "
            "VAULTLINE_MASTER_KEY, put a new key first (VAULTLINE_MASTER_KEY=NEW,OLD; make NEW with "
            "`vaultline keys generate-master`) on every instance, then run `vaultline keys rotate-master`."
        )
    load_master_keys(settings)  # creates the file on a fresh data dir
    texts = read_key_file_texts(settings.data_dir)
    new_text = generate_master_key_text()
    write_key_file(settings.data_dir, [new_text, *texts])
    print(f"Added master key {MasterKey.from_text(new_text).key_id} in front of {len(texts)} older key(s).")
    print("Restart running servers so they seal with it (they still open everything), then run")
    print("`vaultline keys rotate-master` to re-wrap every secret and drop the old key.")
    return 0
