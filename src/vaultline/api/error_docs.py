"""``/docs/errors``: what each error ``type_name`` means; the ``ref`` of every error body points here."""

from __future__ import annotations

import html
import inspect

from fastapi import APIRouter
from starlette.responses import HTMLResponse

from vaultline.errors import DOCUMENTED_ERRORS, ERRORS_DOC_PATH

router = APIRouter(include_in_schema=False)


def render_error_docs() -> str:
    rows = "\n".join(
        f'<tr id="{cls.type_name.lower()}"><td>{cls.status_code}</td><td><code>{cls.type_name}</code></td>'
        f"<td>{html.escape(inspect.cleandoc(cls.__doc__ or ''))}</td></tr>"
        for cls in DOCUMENTED_ERRORS
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vaultline errors</title></head><body>'
        "<h1>Vaultline errors</h1><p>Every error is JSON: "
        "<code>{status_code, error, type_name, message, detail, ref}</code>. "
        "<code>message</code> is for people, <code>type_name</code> for code, <code>detail</code> says what to fix.</p>"
        f"<table><thead><tr><th>Status</th><th>type_name</th><th>Meaning</th></tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>"
    )


@router.get(ERRORS_DOC_PATH)
async def error_docs() -> HTMLResponse:
    return HTMLResponse(
        render_error_docs(),
        headers={"Content-Security-Policy": "default-src 'none'", "Cache-Control": "public, max-age=3600"},
    )
