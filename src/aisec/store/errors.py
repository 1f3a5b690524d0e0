"""The store's one exception: the database cannot be opened, reached or migrated."""

from __future__ import annotations

from aisec.errors import AisecError


class StoreError(AisecError):
    """The database URL is malformed, the server is unreachable, or a migration failed.

    Messages name the database with its password masked and end with what to do.
    """
