"""aisec's HTTP faces. `create_app` builds the guard proxy (`aisec guard serve`): an
OpenAI-compatible API in front of a model, with the kill switch and the admin and
operation endpoints. The logic lives in `aisec.guard`; this layer is thin."""

from __future__ import annotations

from aisec.server.app import app_from_env, create_app, settings_from_env

__all__ = ["app_from_env", "create_app", "settings_from_env"]
