"""An integration's ``verification`` block: the provider's cheap, read-only request that proves
API-key or basic credentials (``{field_id}`` placeholders stand for form values).

Only the block's shape lives here, so the built-in catalog can carry it; rendering and sending
the request belong to the verification feature.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_REJECTED = (401, 403)


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasicAuthTemplate(_Block):
    username: str = Field(max_length=1024)
    password: str = Field(default="", max_length=1024)


class VerificationRequest(_Block):
    method: Literal["GET", "HEAD", "POST"] = "GET"
    url: str = Field(max_length=2048)
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    basic_auth: BasicAuthTemplate | None = None


class VerificationSpec(_Block):
    """The ``verification`` block of an integration definition."""

    request: VerificationRequest
    accepted: tuple[int, ...] = ()  # empty: any 2xx
    rejected: tuple[int, ...] = DEFAULT_REJECTED
    # A dotted path into a JSON refusal body to the provider's own message ("errors.0.message").
    error_message: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")
