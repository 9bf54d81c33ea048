"""The floor: a bare Starlette app answering ``POST /vault/sessions`` with a JSON body of the
same size as a real session response, and any GET with a body of ``--get-bytes`` (JSON, or HTML
with ``--get-type html``, as the Hosted Vault's pages are), served by uvicorn with the settings
``vaultline serve`` uses (one worker, uvicorn's default loop and HTTP implementation, no access
log, no server header, proxy headers on).

    python bench/bare_app.py --port 8100 --response-bytes 2100
    python bench/bare_app.py --port 8100 --get-bytes 9000 --get-type html
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

# The envelope of a real answer; the token is padding chosen to hit the requested size.
_ENVELOPE_BYTES = len(
    JSONResponse({"status_code": 200, "status": "OK", "data": {"session_uri": "", "session_token": ""}}).body
)
_URI_PREFIX = "http://127.0.0.1:8000/session/"


def make_app(response_bytes: int, get_bytes: int = 2100, get_type: str = "json") -> Starlette:
    token_len = max(1, (response_bytes - _ENVELOPE_BYTES - len(_URI_PREFIX)) // 2)
    token = ("eyJ" + "x" * token_len)[:token_len]
    data = {"session_uri": _URI_PREFIX + token, "session_token": token}

    async def create_session(request: Request) -> JSONResponse:
        await request.body()  # read the request body like the real endpoint does
        return JSONResponse({"status_code": 200, "status": "OK", "data": data})

    get_body = _padded_get_body(get_bytes, get_type)
    response_class = HTMLResponse if get_type == "html" else JSONResponse

    async def read_anything(_request: Request) -> Response:
        return response_class(get_body)

    return Starlette(
        routes=[
            Route("/vault/sessions", create_session, methods=["POST"]),
            Route("/{path:path}", read_anything, methods=["GET"]),
        ]
    )


def _padded_get_body(size: int, kind: str) -> str | dict[str, object]:
    """A body that renders to ``size`` bytes: an HTML page, or the API's JSON envelope."""
    if kind == "html":
        shell = "<!doctype html><html><body><p></p></body></html>"
        return shell.replace("<p></p>", "<p>" + "x" * max(0, size - len(shell)) + "</p>")
    envelope = len(JSONResponse({"status_code": 200, "status": "OK", "data": ""}).body)
    return {"status_code": 200, "status": "OK", "data": "x" * max(0, size - envelope)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response-bytes", type=int, default=2100, help="the POST answer's size")
    parser.add_argument("--get-bytes", type=int, default=2100, help="every GET answer's size")
    parser.add_argument("--get-type", choices=("json", "html"), default="json")
    args = parser.parse_args()
    uvicorn.run(
        make_app(args.response_bytes, args.get_bytes, args.get_type),
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
