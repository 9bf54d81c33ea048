"""The two model bases: what the SDK sends refuses unknown fields (a typo fails here, not on the
server), what it receives keeps them (a newer server may add fields an older SDK must tolerate)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    """A body the SDK sends. Fields left unset are not sent; the server applies its defaults."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body: only the fields you set, enums as their wire values."""
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=True)


class ResponseModel(BaseModel):
    """A body the SDK receives. Unknown fields are kept (``model_extra``), never an error."""

    model_config = ConfigDict(extra="allow")
