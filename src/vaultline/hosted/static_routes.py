"""Static files: the pages' CSS and JS under content-hashed URLs (cached for a year), and
``/vault.js`` under its stable URL (cached briefly, so an upgrade reaches embedding pages)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from vaultline.errors import NotFound
from vaultline.hosted.assets import STATIC_PREFIX, StaticAsset
from vaultline.hosted.rendering import renderer_of

router = APIRouter(include_in_schema=False)


def _asset_response(request: Request, asset: StaticAsset, cache_control: str) -> Response:
    etag = f'"{asset.digest}"'
    headers = {"Cache-Control": cache_control, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get(STATIC_PREFIX + "/{digest}/{name}")
async def static_file(request: Request, digest: str, name: str) -> Response:
    asset = renderer_of(request).assets.get(name)
    if asset is None or name == "vault.js":
        raise NotFound("No such file")
    # An old digest (a page rendered before an upgrade) still gets the file, briefly cached.
    cache = "public, max-age=31536000, immutable" if digest == asset.digest else "public, max-age=60"
    return _asset_response(request, asset, cache)


@router.get("/vault.js")
async def vault_js(request: Request) -> Response:
    asset = renderer_of(request).assets.by_name["vault.js"]  # always shipped (see assets.py)
    return _asset_response(request, asset, "public, max-age=300")
