"""The demo application the embedded default creates on first start, so a new user sees a
real session at once."""

from __future__ import annotations

from dataclasses import dataclass

from vaultline.runtime import Runtime
from vaultline.sessions.minting import MintedSession, mint_session
from vaultline.sessions.request import ConsumerMetadata, SessionRequest
from vaultline.store.api_keys import add_api_key
from vaultline.store.applications import Application, count_applications, create_application, find_demo_application
from vaultline.store.integrations import offer_new_integrations

DEMO_CONSUMER_ID = "demo-consumer"


@dataclass(frozen=True, slots=True)
class Demo:
    application: Application
    api_key: str | None  # only on the start that created it


async def ensure_demo(runtime: Runtime) -> Demo | None:
    """Create the demo application on a fresh database (``api_key`` is then its only key, shown
    once). None when the operator has applications but no demo (nothing to show)."""
    api_key = None
    async with runtime.engine.begin() as connection:
        application = await find_demo_application(connection)
        if application is None:
            if await count_applications(connection) > 0:
                return None
            application = await create_application(connection, name="Demo SaaS", is_demo=True)
            api_key = await add_api_key(connection, application_id=application.id, hash_key=runtime.api_key_hash_key)
        # The demo offers the whole catalog, including integrations added since it was created.
        await offer_new_integrations(
            connection, application_id=application.id, service_ids=[d.service_id for d in runtime.catalog]
        )
    return Demo(application, api_key)


async def find_demo(runtime: Runtime) -> Application | None:
    async with runtime.engine.connect() as connection:
        return await find_demo_application(connection)


async def mint_demo_session(runtime: Runtime, application: Application) -> MintedSession:
    """A new session for the demo consumer: a live link to the Hosted Vault, printed only when
    asked for (first start, ``vaultline demo``), never into every restart's logs."""
    return await mint_session(
        runtime,
        application=application,
        consumer_id=DEMO_CONSUMER_ID,
        request=SessionRequest(
            consumer_metadata=ConsumerMetadata(
                account_name="Acme Inc", user_name="Ada Lovelace", email="ada@example.com"
            )
        ),
    )
