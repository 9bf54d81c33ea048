"""The webhook signature header, and the receiver-side check the README documents."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from vaultline.webhooks.signing import (
    InvalidSignature,
    new_webhook_secret,
    signature_header,
    verify_signature,
)

BODY = b'{"id":"e1","type":"vault.connection.created","payload":{}}'


def test_header_is_t_and_hex_hmac_over_timestamp_dot_body() -> None:
    secret = new_webhook_secret()
    header = signature_header(secret, BODY, timestamp=1_790_000_000)
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert match is not None and match.group(1) == "1790000000"
    expected = hmac.new(secret.encode(), b"1790000000." + BODY, hashlib.sha256).hexdigest()
    assert match.group(2) == expected


def test_a_fresh_signature_verifies_and_returns_its_timestamp() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_") and len(secret) > 40
    header = signature_header(secret, BODY, timestamp=1_000)
    assert verify_signature(secret, BODY, header, now=1_100) == 1_000


@pytest.mark.parametrize(
    ("body", "secret_suffix", "now", "problem"),
    [
        (BODY + b" ", "", 1_000, "does not match"),  # tampered body
        (BODY, "x", 1_000, "does not match"),  # another secret
        (BODY, "", 1_301, "tolerance"),  # replayed after 5 minutes
        (BODY, "", 699, "tolerance"),  # from the future
    ],
)
def test_tampering_another_secret_and_old_timestamps_are_refused(
    body: bytes, secret_suffix: str, now: int, problem: str
) -> None:
    secret = new_webhook_secret()
    header = signature_header(secret, BODY, timestamp=1_000)
    with pytest.raises(InvalidSignature, match=problem):
        verify_signature(secret + secret_suffix, body, header, now=now)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=12", "t=abc,v1=00", "garbage"])
def test_malformed_headers_are_refused(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify_signature("whsec_x", BODY, header, now=12)
