"""The Hosted Vault: server-rendered pages a consumer opens with a session, and Vault JS."""

from __future__ import annotations

from fastapi import FastAPI

from vaultline.catalog.texts import CatalogTexts
from vaultline.hosted import (
    connection_pages,
    connection_posts,
    integrations_pages,
    logs_page,
    oauth_popups,
    open_session,
    static_routes,
)
from vaultline.hosted.assets import StaticAssets
from vaultline.hosted.hot_routes import IntegrationsPageRoute
from vaultline.hosted.rendering import PageRenderer
from vaultline.i18n.translations import TranslatorSet


def install_hosted_vault(app: FastAPI) -> None:
    """Load templates, static files and translations (once, here, not at import) and add the routes."""
    assets = StaticAssets.load()
    app.state.hosted_renderer = PageRenderer.create(assets, TranslatorSet.load(), CatalogTexts.load())
    for module in (
        open_session,
        integrations_pages,
        logs_page,
        connection_pages,
        connection_posts,
        oauth_popups,
        static_routes,
    ):
        app.include_router(module.router)
    # Ahead of every router (hosted/hot_routes.py); FastAPI's route above stays for what it
    # does not take. Not an APIRoute: the OpenAPI document does not see it.
    app.router.routes.insert(0, IntegrationsPageRoute())
