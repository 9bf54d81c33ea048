"""Session tokens: the Ed25519 key ring, minting and verification."""
