"""The integration catalog: which third-party services a consumer can connect, and how."""
