"""What an integration is: its form fields, its auth type and, for OAuth 2, its endpoints.

The models validate both the built-in catalog and an operator's catalog file at start-up, so a
mistake in either stops the server with a message naming the definition and the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vaultline.catalog.verification import VerificationSpec
from vaultline.fields import HttpUrl, UnifiedApiId

AuthType = Literal["oauth2", "apiKey", "basic", "none"]
# How a connection gets its access token: the consumer signs in at the provider
# (authorization_code), or Vaultline exchanges credentials it stores for the consumer
# (client_credentials, password: ``POST …/token``, oauth/token_grants.py).
OAuthGrantType = Literal["authorization_code", "client_credentials", "password"]
FormFieldType = Literal[
    "text", "checkbox", "tel", "email", "url", "textarea", "select", "filtered-select", "multi-select",
    "datetime", "date", "time", "number", "password",
]  # fmt: skip
ServiceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
SettingId = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


# The consumer's form values each stored-credentials grant sends to the token endpoint. (The
# password grant also authenticates with the application's OAuth client, like a code grant.)
GRANT_SETTINGS: dict[str, tuple[str, ...]] = {
    "client_credentials": ("client_id", "client_secret"),
    "password": ("username", "password"),
}


class DefinitionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormFieldOption(DefinitionModel):
    """Apideck's ``SimpleFormFieldOption``."""

    label: str
    value: str | int | float | bool
    option_type: Literal["simple"] = "simple"


class FormField(DefinitionModel):
    """One value the consumer fills in, as Apideck's ``FormField`` describes it."""

    id: SettingId
    label: str
    type: FormFieldType = "text"
    required: bool = True
    # Sensitive values are sealed like every setting, and also masked in every answer but the
    # credentials endpoint.
    sensitive: bool = False
    placeholder: str | None = None
    description: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    options: tuple[FormFieldOption, ...] = ()
    # A format the value must have (Python ``re.fullmatch``); checked by POST …/validate, which
    # is how a connection becomes ``invalid`` without calling the provider.
    pattern: str | None = None
    max_length: int = Field(default=4096, ge=1, le=65536)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    @model_validator(mode="after")
    def _options_only_for_selects(self) -> FormField:
        if self.options and self.type not in ("select", "filtered-select", "multi-select"):
            raise ValueError(f"form field {self.id!r}: options are only for select types")
        return self


class OAuthSpec(DefinitionModel):
    grant_type: OAuthGrantType = "authorization_code"
    authorize_url: HttpUrl | None = None  # required for authorization_code only
    token_url: HttpUrl
    revoke_url: HttpUrl | None = None
    default_scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    # Extra query parameters the provider needs to hand out a refresh token (e.g. Google's
    # access_type=offline).
    authorize_params: dict[str, str] = Field(default_factory=dict)
    # The provider revokes refresh tokens left unused for a while (Google after six months, Box
    # and Xero after 60 days, Microsoft after 90): the token keeper uses them at least daily
    # even when the access token lives longer (docs/token-refresh.md).
    revokes_idle_refresh_tokens: bool = False

    @model_validator(mode="after")
    def _authorize_url_for_code_grant(self) -> OAuthSpec:
        if self.grant_type == "authorization_code" and self.authorize_url is None:
            raise ValueError("oauth.authorize_url is required for the authorization_code grant")
        return self


class Guide(DefinitionModel):
    text: str | None = None
    url: HttpUrl | None = None


class IntegrationDefinition(DefinitionModel):
    service_id: ServiceId
    name: str = Field(min_length=1, max_length=100)
    unified_api: UnifiedApiId
    auth_type: AuthType
    tag_line: str | None = None
    website: HttpUrl | None = None
    logo_url: HttpUrl | None = None
    form_fields: tuple[FormField, ...] = ()
    # The form fields that authenticate (an API key, a password): having them all makes a
    # connection ``authorized``; clearing one is a disconnect. Empty means "the sensitive ones".
    credential_fields: tuple[SettingId, ...] = ()
    oauth: OAuthSpec | None = None
    guide: Guide | None = None
    configurable_resources: tuple[str, ...] = ()
    # The provider's request that proves API-key or basic credentials (catalog/verification.py).
    verification: VerificationSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> IntegrationDefinition:
        ids = [f.id for f in self.form_fields]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.service_id}: form field ids must be unique")
        unknown = set(self.credential_fields) - set(ids)
        if unknown:
            raise ValueError(f"{self.service_id}: credential_fields {sorted(unknown)} are not form fields")
        if (self.auth_type == "oauth2") != (self.oauth is not None):
            raise ValueError(f"{self.service_id}: an oauth block is required for oauth2 and only for oauth2")
        if self.auth_type in ("apiKey", "basic") and not self.credential_ids:
            raise ValueError(f"{self.service_id}: an {self.auth_type} integration needs a credential field")
        if self.oauth is not None and self.oauth.grant_type != "authorization_code":
            missing = {*GRANT_SETTINGS[self.oauth.grant_type]} - set(ids)
            if missing:
                raise ValueError(
                    f"{self.service_id}: the {self.oauth.grant_type} grant needs form fields {sorted(missing)}"
                )
        self._check_verification(set(ids))
        return self

    def _check_verification(self, ids: set[str]) -> None:
        if self.verification is None:
            return
        if self.auth_type not in ("apiKey", "basic"):
            raise ValueError(f"{self.service_id}: a verification block is for apiKey and basic integrations")
        unknown = self.verification.request.placeholders() - ids
        if unknown:
            raise ValueError(f"{self.service_id}: verification placeholders {sorted(unknown)} name no form field")

    @property
    def verification_inputs(self) -> frozenset[str]:
        """The form values the verification request is made of: changing one asks the provider again."""
        used = self.verification.request.placeholders() if self.verification else set()
        return frozenset({*used, *self.credential_ids})

    @property
    def host_options(self) -> dict[str, tuple[str, ...]]:
        """Each field's declared option values: a host placeholder may take one of them."""
        return {f.id: tuple(str(o.value) for o in f.options) for f in self.form_fields if f.options}

    @property
    def credential_ids(self) -> tuple[str, ...]:
        if self.oauth is not None and self.oauth.grant_type in GRANT_SETTINGS:
            # What is traded for the token: clearing it is a disconnect, replacing it a re-authorization.
            return GRANT_SETTINGS[self.oauth.grant_type]
        if self.auth_type in ("oauth2", "none"):
            return ()  # OAuth credentials are tokens from the provider, never form values
        return self.credential_fields or tuple(f.id for f in self.form_fields if f.sensitive)

    @property
    def grant_type(self) -> OAuthGrantType | None:
        return self.oauth.grant_type if self.oauth is not None else None

    @property
    def required_setting_ids(self) -> tuple[str, ...]:
        """Required form values that are not credentials: missing ones keep a connection at
        ``authorized`` instead of ``callable``."""
        credentials = set(self.credential_ids)
        return tuple(f.id for f in self.form_fields if f.required and f.id not in credentials)

    @property
    def sensitive_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.form_fields if f.sensitive)

    def field(self, setting_id: str) -> FormField | None:
        return next((f for f in self.form_fields if f.id == setting_id), None)


class CatalogFile(DefinitionModel):
    """An operator's file: ``{"integrations": [definition, ...]}``."""

    integrations: tuple[IntegrationDefinition, ...]
