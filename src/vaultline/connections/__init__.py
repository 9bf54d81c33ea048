"""The consumer's connections, one copy of the rules for every caller: the connections API and
the Hosted Vault both read and change connections through these modules, never around them."""
