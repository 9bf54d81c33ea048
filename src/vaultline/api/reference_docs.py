"""``/docs``: the API reference, rendered on the server from the OpenAPI document.

Self-hosted servers often have no internet access, and the usual Swagger/ReDoc pages load
their scripts from a CDN; this page needs nothing but the server.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "post", "put", "patch", "delete")
_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}"
    "code,pre{font:13px ui-monospace,monospace;background:#f6f8fa;border-radius:4px;padding:.1em .3em}"
    "section{border-top:1px solid #d0d7de;padding:.5rem 0}"
    ".m{font-weight:700;text-transform:uppercase;margin-right:.5rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}"
)


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items', {}))}"
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return " or ".join(_schema_name(option) for option in options)
    return str(schema.get("type", "object"))


def _referenced(schema: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        return [_schema_name(schema)]
    nested = [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
    if isinstance(schema.get("items"), dict):
        nested.append(schema["items"])
    return [name for option in nested for name in _referenced(option)]


def _properties_table(name: str, components: dict[str, Any], depth: int = 0) -> str:
    """The fields of a component schema, then those of the objects it contains (two levels)."""
    properties = components.get(name, {}).get("properties") or {}
    if not properties:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(field)}</code></td><td>{escape(_schema_name(spec))}</td>"
        f"<td>{escape(str(spec.get('description', '')))}</td></tr>"
        for field, spec in properties.items()
    )
    header = "<tr><th>Field</th><th>Type</th><th>Description</th></tr>"
    table = f"<p><code>{escape(name)}</code></p><table>{header}{rows}</table>"
    if depth < 1:
        nested = dict.fromkeys(ref for spec in properties.values() for ref in _referenced(spec))
        table += "".join(_properties_table(ref, components, depth + 1) for ref in nested)
    return table


def _operation(method: str, path: str, operation: dict[str, Any], components: dict[str, Any]) -> str:
    parts = [f'<section id="{escape(operation.get("operationId", ""))}">']
    parts.append(f'<h3><span class="m">{method}</span><code>{escape(path)}</code></h3>')
    parts.append(f"<p><strong>{escape(operation.get('summary', ''))}</strong></p>")
    if operation.get("description"):
        parts.append(f"<p>{escape(operation['description'])}</p>")
    parameters = operation.get("parameters") or []
    if parameters:
        items = "".join(
            f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}{', required' if p.get('required') else ''})"
            f"{' — ' + escape(p['description']) if p.get('description') else ''}</li>"
            for p in parameters
        )
        parts.append(f"<p>Parameters:</p><ul>{items}</ul>")
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        parts.append(f"<p>JSON body: <code>{escape(_schema_name(body))}</code></p>")
        parts.extend(_properties_table(ref, components) for ref in _referenced(body))
    responses = ", ".join(
        f"<code>{escape(code)}</code> {escape(spec.get('description', ''))}"
        for code, spec in operation.get("responses", {}).items()
    )
    parts.append(f"<p>Responses: {responses}</p></section>")
    return "".join(parts)


def render_reference(document: dict[str, Any]) -> str:
    components = document.get("components", {}).get("schemas", {})
    sections = [
        _operation(method.upper(), path, operations[method], components)
        for path, operations in document.get("paths", {}).items()
        for method in _METHODS
        if method in operations
    ]
    info = document.get("info", {})
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(info.get("title", ""))} API</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style></head><body>'
        f"<h1>{escape(info.get('title', ''))} API <small>{escape(info.get('version', ''))}</small></h1>"
        f"<p>{escape(info.get('description', ''))}</p>"
        '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> · '
        'Errors: <a href="/docs/errors">/docs/errors</a></p>'
        f"{''.join(sections)}</body></html>"
    )


@router.get("/docs")
async def reference(request: Request) -> HTMLResponse:
    return HTMLResponse(
        render_reference(request.app.openapi()),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
