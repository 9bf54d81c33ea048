"""Reading a JSON request body into a model, with errors a developer can act on."""

from __future__ import annotations

from typing import Any, Literal, TypeVar, overload

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request

from vaultline.errors import BadRequest, Unprocessable, UnsupportedMediaType, VaultError
from vaultline.fields import AMBIGUOUS_URL_ERROR

M = TypeVar("M", bound=BaseModel)


def is_json_content_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


@overload
async def read_json_body(request: Request, model: type[M], *, required: Literal[True]) -> M: ...


@overload
async def read_json_body(request: Request, model: type[M], *, required: Literal[False]) -> M | None: ...


async def read_json_body(request: Request, model: type[M], *, required: bool) -> M | None:
    """Parse and validate the body. An empty body is ``None`` (or a 400 when ``required``);
    a body without Content-Type is read as JSON, since some clients omit it."""
    body = await _whole_body(request)
    if not body.strip():
        if required:
            raise BadRequest("This request needs a JSON body")
        return None
    content_type = request.headers.get("content-type")
    if content_type is not None and not is_json_content_type(content_type):
        media_type = content_type.split(";")[0]
        raise UnsupportedMediaType(
            f"Content-Type {media_type!r} is not supported; send JSON with Content-Type: application/json"
        )
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise error_from(exc) from None


async def _whole_body(request: Request) -> bytes:
    """``request.body()`` without Starlette's stream generator (``aclosing`` + async-for), which
    cost more than the bytes on minting's hot path. Same rules: the body is kept on the request
    (``_body``, which ``request.body()`` reads) and a disconnect raises ``ClientDisconnect``."""
    cached: bytes | None = getattr(request, "_body", None)
    if cached is not None:
        return cached
    if request._stream_consumed:  # noqa: SLF001 — read by someone else without keeping it
        return await request.body()  # raises "Stream consumed", as before
    chunks: list[bytes] = []
    while True:
        message = await request.receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            request._is_disconnected = True  # noqa: SLF001
            raise ClientDisconnect()
    request._stream_consumed = True  # noqa: SLF001
    body = request._body = b"".join(chunks)  # noqa: SLF001
    return body


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def error_from(exc: ValidationError) -> VaultError:
    """A 400 listing every problem, or a 422 when the only problems are URLs refused because
    browsers may read them as another host (the status of a refused ``redirect_uri``)."""
    problems: list[dict[str, Any]] = []
    all_ambiguous_urls = True
    for error in exc.errors(include_url=False, include_input=False):
        where = _location(error["loc"])
        all_ambiguous_urls = all_ambiguous_urls and error["type"] == AMBIGUOUS_URL_ERROR
        if error["type"] == AMBIGUOUS_URL_ERROR:
            text = f"{where} {error['msg']}"
        elif error["type"] == "extra_forbidden":
            text = f"Unknown key '{where}'"
        elif error["type"] == "json_invalid":
            text = f"Malformed JSON: {error.get('ctx', {}).get('error', 'could not parse the body')}"
        elif error["type"] == "model_type" and not error["loc"]:
            text = "The body must be a JSON object"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            text = f"{where}: {message}"
        problems.append({"location": where, "message": text})
    first = problems[0]["message"]
    summary = first if len(problems) == 1 else f"{first} (and {len(problems) - 1} more)"
    error_type = Unprocessable if all_ambiguous_urls else BadRequest
    return error_type(summary, detail={"errors": problems})
