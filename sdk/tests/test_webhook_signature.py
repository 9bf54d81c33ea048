"""``verify_webhook_signature`` (SDK, stdlib only) against the server's own signer."""

from __future__ import annotations

import time

import pytest

import vaultline_sdk
from vaultline.webhooks.signing import compute_signature, new_webhook_secret, signature_header
from vaultline_sdk import VaultlineError, WebhookSignatureError, verify_webhook_signature

BODY = b'{"id":"3f0c","type":"vault.connection.callable","payload":{"consumer_id":"test-consumer"}}'
SECRET = new_webhook_secret()
NOW = 1_795_310_000


def test_a_server_signed_webhook_verifies() -> None:
    verify_webhook_signature(BODY, signature_header(SECRET, BODY, timestamp=NOW), SECRET, now=NOW + 10)
    verify_webhook_signature(BODY, signature_header(SECRET, BODY), SECRET)  # the real clock
    assert vaultline_sdk.verify_webhook_signature is verify_webhook_signature
    assert issubclass(WebhookSignatureError, VaultlineError)


def test_any_of_several_v1_signatures_may_match() -> None:
    good = compute_signature(SECRET, NOW, BODY)
    header = f"t={NOW}, v1={'0' * 64}, v1={good}"  # e.g. during a secret rotation
    verify_webhook_signature(BODY, header, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("body", "secret", "match"),
    [
        (BODY.replace(b"test-consumer", b"other-consumer"), SECRET, "does not match"),
        (BODY + b" ", SECRET, "does not match"),
        (BODY, new_webhook_secret(), "does not match"),
    ],
    ids=["tampered-body", "trailing-byte", "wrong-secret"],
)
def test_a_changed_body_or_another_secret_is_refused(body: bytes, secret: str, match: str) -> None:
    header = signature_header(SECRET, BODY, timestamp=NOW)
    with pytest.raises(WebhookSignatureError, match=match):
        verify_webhook_signature(body, header, secret, now=NOW)


def test_a_stale_or_future_timestamp_is_refused() -> None:
    header = signature_header(SECRET, BODY, timestamp=NOW)
    verify_webhook_signature(BODY, header, SECRET, now=NOW + 300)  # the edge is still accepted
    for moment in (NOW + 301, NOW - 301):
        with pytest.raises(WebhookSignatureError, match="tolerance"):
            verify_webhook_signature(BODY, header, SECRET, now=moment)
    verify_webhook_signature(BODY, header, SECRET, now=NOW + 3600, tolerance_seconds=3600)
    old = signature_header(SECRET, BODY, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_webhook_signature(BODY, old, SECRET)


@pytest.mark.parametrize(
    "header",
    ["", "garbage", f"t={NOW}", "v1=abc", f"t=soon,v1={'0' * 64}", f"t={NOW},v1=", f"t=١٢,v1={'0' * 64}"],
    ids=["empty", "garbage", "no-v1", "no-t", "non-numeric-t", "empty-v1", "non-ascii-digits"],
)
def test_a_missing_or_malformed_header_is_refused(header: str) -> None:
    with pytest.raises(WebhookSignatureError, match="header"):
        verify_webhook_signature(BODY, header, SECRET, now=NOW)


def test_a_non_ascii_signature_is_a_mismatch_not_a_crash() -> None:
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook_signature(BODY, f"t={NOW},v1=é", SECRET, now=NOW)
