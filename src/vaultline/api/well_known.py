"""Public, unauthenticated endpoints: the JWKS and health probes."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from vaultline.errors import ServiceUnavailable
from vaultline.responses import JSONResponse
from vaultline.runtime import runtime_of

router = APIRouter(tags=["Public"])


@router.get("/.well-known/jwks.json", summary="Session-token signing keys (JWKS)")
async def jwks(request: Request) -> Response:
    """Every key that may have signed a live session token. Cache for a minute at most:
    a rotated-in key is used within seconds."""
    return JSONResponse(runtime_of(request).keyring.jwks(), headers={"Cache-Control": "public, max-age=60"})


@router.get("/healthz", summary="Liveness")
async def healthz() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="Readiness: the database answers")
async def readyz(request: Request) -> Response:
    try:
        async with runtime_of(request).engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable("The database is not reachable") from exc
    return JSONResponse({"status": "ready"})
