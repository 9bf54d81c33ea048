"""One-time notices after a form post ("Connected.", "Connection deleted."), carried to the
next page in a short-lived cookie rather than the URL, so a crafted link cannot fake one —
and, in Vault JS, turned into the matching event for the embedding page."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from vaultline.connection_ids import connection_id
from vaultline.hosted.page_chrome import FLASH_MESSAGES
from vaultline.hosted.security import FLASH_COOKIE, clear_cookie, set_scoped_cookie
from vaultline.hosted.vault_session import VaultContext


@dataclass(frozen=True, slots=True)
class Flash:
    kind: str
    unified_api: str
    service_id: str

    def message(self, vault: VaultContext) -> str:
        return vault.gettext(FLASH_MESSAGES[self.kind])

    def connection_ref(self) -> dict[str, str]:
        return {
            "id": connection_id(self.unified_api, self.service_id),
            "service_id": self.service_id,
            "unified_api": self.unified_api,
        }


def read_flash(request: Request) -> Flash | None:
    raw = request.cookies.get(FLASH_COOKIE, "")
    kind, _, target = raw.partition(":")
    unified_api, _, service_id = target.partition("/")
    if kind not in FLASH_MESSAGES or not unified_api or not service_id:
        return None
    return Flash(kind, unified_api, service_id)


def set_flash(response: Response, vault: VaultContext, flash: Flash) -> None:
    set_scoped_cookie(
        response,
        FLASH_COOKIE,
        f"{flash.kind}:{flash.unified_api}/{flash.service_id}",
        session_id=vault.session_id,
        max_age=120,
        secure=vault.runtime.settings.serves_https,
        cross_site=vault.embedded,
    )


def pop_flash(request: Request, response: Response, vault: VaultContext) -> None:
    if FLASH_COOKIE in request.cookies:
        clear_cookie(response, FLASH_COOKIE, session_id=vault.session_id)
