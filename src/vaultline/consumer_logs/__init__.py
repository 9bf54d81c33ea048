"""Consumer request logs: every Vault API call made for a consumer, recorded after the
response by a group-commit writer, listed by ``GET /vault/logs`` and pruned by age."""
