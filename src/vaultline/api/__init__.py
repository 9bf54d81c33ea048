"""The Vault API: thin routes grouped per resource."""
