"""Pieces of the OpenAPI document that FastAPI cannot infer, because the hot routes read
their headers and body themselves."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from vaultline.api.schemas import ErrorBody
from vaultline.sessions.request import SessionRequest

CONSUMER_HEADER: dict[str, Any] = {
    "name": "x-apideck-consumer-id",
    "in": "header",
    "required": True,
    "description": "Your id for the consumer (your customer); the consumer is created if new.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}

SESSION_BODY: dict[str, Any] = {
    "required": False,
    "description": "Consumer metadata, redirect URI, settings and theme; every field optional.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}},
}

_ERROR_DESCRIPTIONS = {
    400: "Bad request: malformed JSON, an unknown key or an invalid value",
    401: "Missing, invalid or rotated-out API key",
    403: "Not allowed",
    404: "Not found",
    409: "Already exists",
    413: "Body larger than 64 KB",
    415: "Body is not JSON",
    422: "Well-formed but unacceptable (e.g. redirect_uri outside the allowlist)",
    429: "Too many failed authentications from this address; retry after Retry-After seconds",
    501: "Vaultline does not implement this operation: it needs a unified data layer (see docs/compatibility.md)",
    502: "The provider answered with an error or nonsense",
    504: "The provider did not answer in time",
}


def documented_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {
        code: {"description": _ERROR_DESCRIPTIONS[code], "content": {"application/json": {"schema": schema}}}
        for code in codes
    }


def install_openapi(app: FastAPI) -> None:
    """Add the hand-declared schemas and the API-key security scheme to the generated document."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        session_schema = SessionRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(session_schema.pop("$defs", {}))
        schemas["Session"] = session_schema
        schemas["Error"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        document["components"]["securitySchemes"] = {
            "apiKey": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Your application's API key, as `Bearer <key>` or bare.",
            }
        }
        for path, operations in document["paths"].items():
            for operation in operations.values():
                _hoist_local_defs(operation.get("requestBody"), schemas)
                _document_validation_errors_as_400(operation)
                _document_throttling_where_authenticated(operation)
            if path.startswith("/vault/"):
                for operation in operations.values():
                    operation.setdefault("security", [{"apiKey": []}])
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]


def _document_validation_errors_as_400(operation: dict[str, Any]) -> None:
    """FastAPI documents a 422 ``HTTPValidationError`` for every route with parameters, but the
    server answers a failed parameter validation with a 400 in the error shape (and a string
    path parameter cannot fail validation at all)."""
    responses = operation.get("responses", {})
    generated = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if generated.get("$ref") == "#/components/schemas/HTTPValidationError":
        del responses["422"]
        if any(parameter.get("in") != "path" for parameter in operation.get("parameters", [])):
            responses.setdefault("400", documented_errors(400)[400])


def _document_throttling_where_authenticated(operation: dict[str, Any]) -> None:
    """Every operation that can answer 401 can also answer 429: failed authentications are
    throttled per client address (see auth_throttle.py)."""
    responses = operation.get("responses", {})
    if "401" in responses or 401 in responses:
        throttled = documented_errors(429)[429]
        throttled["headers"] = {
            "Retry-After": {"description": "Seconds until this address may try again", "schema": {"type": "integer"}}
        }
        responses.setdefault("429", throttled)


def _hoist_local_defs(request_body: dict[str, Any] | None, schemas: dict[str, Any]) -> None:
    """A body schema from ``Model.model_json_schema()`` carries ``$defs`` and ``#/$defs/…`` refs,
    which resolve against the document root, where nothing is: move them to components."""
    for media in (request_body or {}).get("content", {}).values():
        schema = media.get("schema", {})
        if "$defs" in schema:
            for name, definition in schema["$defs"].items():
                schemas.setdefault(name, _rewrite_refs(definition))
            media["schema"] = _rewrite_refs({key: value for key, value in schema.items() if key != "$defs"})


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: value.replace("#/$defs/", "#/components/schemas/", 1)
            if key == "$ref" and isinstance(value, str)
            else _rewrite_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node
