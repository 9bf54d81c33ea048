"""Field types shared by request models. Values that end up rendered into pages (colours,
URLs) are validated strictly here, once, so templates can trust them."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from vaultline.strict_url import AmbiguousUrl, NotHttpUrl, is_http_url, parse_strict_url

_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class UnifiedApiId(StrEnum):
    ACCOUNTING = "accounting"
    ATS = "ats"
    CALENDAR = "calendar"
    CRM = "crm"
    CSP = "csp"
    CUSTOMER_SUPPORT = "customer-support"
    ECOMMERCE = "ecommerce"
    EMAIL = "email"
    EMAIL_MARKETING = "email-marketing"
    EXPENSE_MANAGEMENT = "expense-management"
    FILE_STORAGE = "file-storage"
    FORM = "form"
    HRIS = "hris"
    LEAD = "lead"
    PAYROLL = "payroll"
    POS = "pos"
    PROCUREMENT = "procurement"
    PROJECT_MANAGEMENT = "project-management"
    SCRIPT = "script"
    SMS = "sms"
    SPREADSHEET = "spreadsheet"
    SUBSCRIPTION_ANALYTICS = "subscription-analytics"
    TEAM_MESSAGING = "team-messaging"
    ISSUE_TRACKING = "issue-tracking"
    TIME_REGISTRATION = "time-registration"
    TRANSACTIONAL_EMAIL = "transactional-email"
    VAULT = "vault"
    DATA_WAREHOUSE = "data-warehouse"


def _check_hex_color(value: str) -> str:
    if not _HEX_COLOR.fullmatch(value):
        raise ValueError("must be a CSS hex colour such as #286efa")
    return value


# The pydantic error type of a URL browsers may read as another host; the body reader answers
# it with a 422 naming the field (api/body.py), like a refused redirect_uri.
AMBIGUOUS_URL_ERROR = "ambiguous_url"


def _check_http_url(value: str) -> str:
    if is_http_url(value):
        return value
    try:
        parse_strict_url(value)
    except NotHttpUrl:
        raise ValueError("must be an absolute http(s) URL") from None
    except AmbiguousUrl as exc:
        raise PydanticCustomError(AMBIGUOUS_URL_ERROR, str(exc)) from None
    return value


def _check_plain_text(value: str) -> str:
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


HexColor = Annotated[str, Field(max_length=9), AfterValidator(_check_hex_color)]
HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_check_http_url)]
ShortText = Annotated[str, Field(max_length=255), AfterValidator(_check_plain_text)]


class RequestModel(BaseModel):
    """Unknown keys are refused (a typo is worth a clear 400) and ``null`` for a known key means
    "not given". An unknown key is refused even when its value is null: unknown is unknown."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = cls.model_fields
            return {key: value for key, value in data.items() if value is not None or key not in known}
        return data
