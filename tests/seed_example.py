"""The body the seeds (shared/seeds/*) send, as JSON on the wire."""

SEED_SESSION_BODY = {
    "consumer_metadata": {
        "account_name": "SpaceX",
        "user_name": "Elon Musk",
        "email": "elon@musk.com",
        "image": "https://www.spacex.com/static/images/share.jpg",
    },
    "custom_consumer_settings": {"omnis": "necessitatibus", "distinctio": "asperiores", "nihil": "ipsum"},
    "redirect_uri": "https://mysaas.com/dashboard",
    "settings": {
        "allow_actions": ["reauthorize", "disable"],
        "auto_redirect": False,
        "hide_guides": False,
        "hide_resource_settings": False,
        "isolation_mode": False,
        "sandbox_mode": False,
        "session_length": "30m",
        "show_logs": False,
        "show_sidebar": False,
        "show_suggestions": False,
        "unified_apis": ["crm", "crm"],
    },
    "theme": {
        "favicon": "https://res.cloudinary.com/apideck/icons/intercom",
        "logo": "https://res.cloudinary.com/apideck/icons/intercom",
        "primary_color": "#286efa",
        "privacy_url": "https://compliance.apideck.com/privacy-policy",
        "sidepanel_background_color": "#286efa",
        "sidepanel_text_color": "#FFFFFF",
        "terms_url": "https://www.termsfeed.com/terms-conditions/957c85c1b089ae9e3219c83eff65377e",
        "vault_name": "Intercom",
    },
}
