"""Models: snake_case names are the wire names, unset fields are not sent, enums match the spec."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError

from vaultline.fields import UnifiedApiId
from vaultline.sessions.request import AllowAction, SessionSettings
from vaultline_sdk.models import operations, shared

SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "apideck-vault-openapi.yml"


@functools.cache
def _reference_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = yaml.safe_load(SPEC.read_text())["components"]["schemas"]
    return schemas


def reference_schema(name: str) -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not beside the checkout")
    schema: dict[str, Any] = _reference_schemas()[name]
    return schema


def test_unified_api_ids_are_the_reference_specs() -> None:
    assert [e.value for e in shared.UnifiedApiIdEnum] == reference_schema("UnifiedApiId")["enum"]


@pytest.mark.parametrize(
    ("ours", "schema"),
    [
        (shared.ConnectionState, "ConnectionState"),
        (shared.IntegrationState, "IntegrationState"),
        (shared.AuthType, "AuthType"),
    ],
)
def test_connection_enums_are_the_reference_specs(ours: type[StrEnum], schema: str) -> None:
    assert {e.value for e in ours} == set(reference_schema(schema)["enum"])


def test_enums_match_the_servers() -> None:
    assert [e.value for e in shared.UnifiedApiIdEnum] == [e.value for e in UnifiedApiId]
    assert [e.value for e in shared.SessionSettingsAllowActionsEnum] == [e.value for e in AllowAction]
    assert shared.UnifiedApiIdEnum.CUSTOMER_SUPPORT.value == "customer-support"


def test_settings_fields_and_defaults_match_the_servers() -> None:
    ours = shared.SessionSettings.model_fields
    theirs = SessionSettings.model_fields
    assert set(ours) == set(theirs)
    assert {name: field.default for name, field in ours.items()} == {
        name: field.default for name, field in theirs.items()
    }


def test_only_what_was_set_goes_on_the_wire() -> None:
    session = shared.Session(
        settings=shared.SessionSettings(
            unified_apis=[shared.UnifiedApiIdEnum.FILE_STORAGE], show_logs=False, hide_consumer_card=True
        ),
        consumer_metadata=shared.ConsumerMetadata(account_name="SpaceX"),
    )
    session.theme = shared.SessionTheme(primary_color="#286efa")
    assert session.to_wire() == {
        "settings": {"unified_apis": ["file-storage"], "show_logs": False, "hide_consumer_card": True},
        "consumer_metadata": {"account_name": "SpaceX"},
        "theme": {"primary_color": "#286efa"},
    }
    assert shared.Session().to_wire() == {}


def test_typos_and_wrong_values_fail_before_the_request() -> None:
    with pytest.raises(ValidationError):
        shared.SessionSettings(show_log=False)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        shared.SessionSettings(allow_actions=["explode"])
    settings = shared.SessionSettings()
    with pytest.raises(ValidationError):
        settings.unified_apis = ["not-an-api"]  # type: ignore[list-item]
    assert shared.SessionSettings(allow_actions=["delete"]).allow_actions == [
        shared.SessionSettingsAllowActionsEnum.DELETE
    ]


def test_response_models_tolerate_new_fields() -> None:
    body = {
        "status_code": 200,
        "status": "OK",
        "data": {"session_uri": "u", "session_token": "t", "new": 1},
        "_raw": {},
    }
    parsed = shared.CreateSessionResponse.model_validate(body)
    assert parsed.data.session_token == "t" and parsed.data.model_extra == {"new": 1}


def test_request_shape_mirrors_the_seeds() -> None:
    request = operations.SessionsCreateRequest(
        session=shared.Session(), x_apideck_app_id="app", x_apideck_consumer_id="consumer"
    )
    assert request.x_apideck_app_id == "app"
    assert operations.SessionsCreateSecurity(api_key="k").api_key == "k"
    with pytest.raises(ValidationError):
        operations.SessionsCreateRequest()  # type: ignore[call-arg]
