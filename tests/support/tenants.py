"""A ready application with an API key, as a SaaS engineer would have after `apps create`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from vaultline.runtime import Runtime
from vaultline.store.api_keys import add_api_key
from vaultline.store.applications import create_application


@dataclass(frozen=True)
class Tenant:
    application_id: str
    api_key: str

    def headers(self, consumer_id: str | None = "test-consumer", *, bearer: bool = True) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.api_key}" if bearer else self.api_key,
            "x-apideck-app-id": self.application_id,
        }
        if consumer_id is not None:
            headers["x-apideck-consumer-id"] = consumer_id
        return headers


async def create_tenant(
    app: FastAPI, *, name: str, redirect_origins: tuple[str, ...] = (), embed_origins: tuple[str, ...] = ()
) -> Tenant:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        application = await create_application(
            connection, name=name, redirect_origins=redirect_origins, embed_origins=embed_origins
        )
        api_key = await add_api_key(connection, application_id=application.id, hash_key=runtime.api_key_hash_key)
    return Tenant(application.id, api_key)
