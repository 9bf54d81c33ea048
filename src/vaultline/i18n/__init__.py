"""Languages of the pages a person reads: which locales exist, how one is chosen for a request,
and the gettext catalogs (``locale/<lang>/LC_MESSAGES/messages.po``) loaded at start-up."""
