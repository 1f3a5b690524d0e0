"""aisec's database: state people query (review queues, audit, runs, evidence).

Foundation layer: faces import the store, the store imports no face. Tables live in
``aisec.store.models`` so that the Alembic environment (also here) sees every table
without importing a face. SQLite file by default, PostgreSQL by URL
(``AISEC_DATABASE_URL``); the schema is migrated with Alembic on first use.
"""

from __future__ import annotations

from aisec.store.base import Base
from aisec.store.engine import ENV_VAR, default_path, make_engine, mask_url, resolve_url
from aisec.store.errors import StoreError
from aisec.store.migrate import current, head, upgrade
from aisec.store.session import Store, open_store

__all__ = [
    "ENV_VAR",
    "Base",
    "Store",
    "StoreError",
    "current",
    "default_path",
    "head",
    "make_engine",
    "mask_url",
    "open_store",
    "resolve_url",
    "upgrade",
]
