"""The README's examples, exactly as written there, with the placeholders a user would replace
swapped for a real server's values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conftest import Tenant
from vaultline_sdk import SDK

README = Path(__file__).resolve().parents[1] / "README.md"
_TAGGED_BLOCK = re.compile(r"<!-- test: (?P<name>[\w-]+) -->\n```python\n(?P<code>.*?)```", re.DOTALL)

README_SERVER_URL = "http://127.0.0.1:8000"
README_API_KEY = "YOUR_API_KEY_HERE"
README_APP_ID = "YOUR_APP_ID"


def readme_examples() -> dict[str, str]:
    return {match["name"]: match["code"] for match in _TAGGED_BLOCK.finditer(README.read_text())}


def as_user_would_run(code: str, *, server_url: str, api_key: str, app_id: str) -> str:
    return (
        code.replace(f'"{README_SERVER_URL}"', f'"{server_url}"')
        .replace(f'"{README_API_KEY}"', f'"{api_key}"')
        .replace(f'"{README_APP_ID}"', f'"{app_id}"')
    )


def run_example(name: str, tenant: Tenant) -> dict[str, Any]:
    """Run the README's example ``name`` against ``tenant``; returns the names it defined."""
    code = as_user_would_run(
        readme_examples()[name], server_url=tenant.server_url, api_key=tenant.api_key, app_id=tenant.application_id
    )
    namespace: dict[str, Any] = {"__name__": f"readme_{name.replace('-', '_')}"}
    exec(compile(code, f"README.md:{name}", "exec"), namespace)
    # The examples, like the seeds, leave their client open; a test must not leak its sockets.
    for value in namespace.values():
        if isinstance(value, SDK):
            value.close()
    return namespace
