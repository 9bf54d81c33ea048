"""Errors a CLI command reports to the user as one line."""


class CommandError(Exception):
    """A user mistake: printed as one line, exit status 1."""
