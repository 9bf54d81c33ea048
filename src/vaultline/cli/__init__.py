"""The `vaultline` command line."""
