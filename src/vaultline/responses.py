"""Success bodies in Apideck's envelope: ``{status_code, status, data[, meta, links]}``.

Never a top-level ``message``: Apideck's browser component reads any ``message`` as an error.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# API answers hold tokens and consumer data: no shared or browser cache may keep them.
PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def ok(data: Any, *, status_code: int = 200, **extra: Any) -> JSONResponse:
    body = {"status_code": status_code, "status": HTTPStatus(status_code).phrase, "data": data, **extra}
    return JSONResponse(body, status_code=status_code, headers=PRIVATE)
