"""Apideck's Vault API description, read from ``shared/reference/`` beside the checkout (CI lays
shared/ there). Locally a missing copy skips the tests that compare against it; under CI=true it
fails them, so a CI run can never pass without checking the wire format."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REFERENCE_SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "apideck-vault-openapi.yml"


def require_reference_spec() -> Path:
    if not REFERENCE_SPEC.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"The reference spec is missing at {REFERENCE_SPEC}, and CI=true requires this test")
        pytest.skip(f"Apideck's reference spec is not at {REFERENCE_SPEC} (set CI=true to make this a failure)")
    return REFERENCE_SPEC
