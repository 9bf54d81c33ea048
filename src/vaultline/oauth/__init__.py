"""OAuth 2 authorization-code flow (PKCE, signed single-use state), token refresh and revocation."""
