"""The error tree: one class per status, the body parsed, the raw body and request id kept."""

from __future__ import annotations

import httpx
import pytest

from vaultline_sdk import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    VaultlineError,
)
from vaultline_sdk._exceptions import make_status_error

REQUEST = httpx.Request("POST", "http://vault.test/vault/sessions")


def answer(code: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(code, request=REQUEST, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
        (405, APIStatusError),
        (413, APIStatusError),
    ],
)
def test_each_status_has_its_class(code: int, error_class: type[APIStatusError]) -> None:
    error = make_status_error(answer(code, json={"status_code": code, "message": "m"}))
    assert type(error) is error_class
    assert isinstance(error, APIError) and isinstance(error, VaultlineError)
    assert error.status_code == code


def test_str_reads_well_and_carries_the_request_id() -> None:
    body = {
        "status_code": 401,
        "error": "Unauthorized",
        "type_name": "UnauthorizedError",
        "message": "Invalid API key",
        "detail": "The API key is not known to this Vaultline server.",
        "ref": "http://vault.test/docs/errors#unauthorizederror",
    }
    error = make_status_error(answer(401, json=body, headers={"x-request-id": "abc123"}))
    assert str(error) == (
        "401 Unauthorized: Invalid API key (The API key is not known to this Vaultline server.) [request id abc123]"
    )
    assert error.body is not None and error.body.ref == body["ref"] and error.type_name == "UnauthorizedError"
    assert error.request_id == "abc123"


def test_structured_detail_is_shown_as_json() -> None:
    body = {"status_code": 400, "message": "Invalid", "detail": {"missing": ["x"]}}
    assert str(make_status_error(answer(400, json=body))) == '400 Bad Request: Invalid ({"missing": ["x"]})'


def test_a_non_json_error_keeps_the_raw_body() -> None:
    error = make_status_error(answer(502, text="<html>Bad gateway</html>"))
    assert isinstance(error, InternalServerError)
    assert error.body is None and error.type_name is None
    assert error.raw_body == "<html>Bad gateway</html>"
    assert str(error) == "502 Bad Gateway: <html>Bad gateway</html>"
