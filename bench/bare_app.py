"""The floor: a bare Starlette app answering ``POST /vault/sessions`` with a JSON body of the
same size as a real session response, served by uvicorn with the settings ``vaultline serve``
uses (one worker, uvicorn's default loop and HTTP implementation, no access log, no server
header, proxy headers on).

    python bench/bare_app.py --port 8100 --response-bytes 2100
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# The envelope of a real answer; the token is padding chosen to hit the requested size.
_ENVELOPE_BYTES = len(
    JSONResponse({"status_code": 200, "status": "OK", "data": {"session_uri": "", "session_token": ""}}).body
)
_URI_PREFIX = "http://127.0.0.1:8000/session/"


def make_app(response_bytes: int) -> Starlette:
    token_len = max(1, (response_bytes - _ENVELOPE_BYTES - len(_URI_PREFIX)) // 2)
    token = ("eyJ" + "x" * token_len)[:token_len]
    data = {"session_uri": _URI_PREFIX + token, "session_token": token}

    async def create_session(request: Request) -> JSONResponse:
        await request.body()  # read the request body like the real endpoint does
        return JSONResponse({"status_code": 200, "status": "OK", "data": data})

    return Starlette(routes=[Route("/vault/sessions", create_session, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response-bytes", type=int, default=2100)
    args = parser.parse_args()
    uvicorn.run(
        make_app(args.response_bytes),
        host=args.host,
        port=args.port,
        workers=1,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
