"""The HTTP face of the guard: a FastAPI app over `GuardProxy` (thin on purpose).

Every ``/v1/*`` call needs ``Authorization: Bearer <client key>``, every ``/admin/*`` call
an administrator key; ``/healthz``, ``/readyz`` and ``/metrics`` change nothing and are
open. The OpenAI endpoints (``/v1/...``, ``/app/<name>/v1/...``) are served by a bare
ASGI handler in front of FastAPI (`aisec.server.openai_routes`: the hot path); the admin
and operation endpoints are FastAPI routes. Each request is: request id → key → (rate
limit →) size-limited JSON body → (kill switch →) handler → response, then one JSON log
line (no prompt, no answer).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import Receive, Scope, Send

from aisec.audit.ids import new_id
from aisec.errors import AisecError
from aisec.guard.control import REFRESH_SECONDS, request_reload, set_halted
from aisec.guard.incidents import close_incident, get_incident, list_incidents
from aisec.guard.keys import GuardError, KeyInfo, valid_app_name
from aisec.guard.openai_api import Body, error_body
from aisec.guard.proxy import GuardProxy, ProxyError, ProxySettings, Reply
from aisec.server.access import authenticate, json_object, too_large
from aisec.server.openai_routes import OpenAIRoutes, match
from aisec.server.runtime import ProxyRuntime

logger = logging.getLogger("aisec.guard.requests")

ENV_UPSTREAM = "AISEC_GUARD_UPSTREAM"
ENV_UPSTREAM_KEY = "AISEC_UPSTREAM_API_KEY"
ENV_POLICY = "AISEC_GUARD_POLICY"
ENV_DATABASE = "AISEC_DATABASE_URL"
#: further applications: a JSON object, name → policy file (or null for the default policy)
ENV_APPS = "AISEC_GUARD_APPS"

Handler = Callable[[Request, str], Awaitable[Reply]]


async def read_json(request: Request, limit: int) -> Body:
    """The request body as a JSON object, at most ``limit`` bytes (413 beyond)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large(limit)
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > limit:
            raise too_large(limit)
    return json_object(data)


class GuardApp(FastAPI):
    """FastAPI, with the OpenAI endpoints taken by `OpenAIRoutes` before its routing."""

    openai: OpenAIRoutes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.openai is not None:
            found = match(scope["path"])
            if found is not None:
                await self.openai(scope, receive, send, *found)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: ProxySettings, *, refresh_seconds: float = REFRESH_SECONDS) -> GuardApp:
    """The proxy app for ``settings`` (one per worker)."""
    rt = ProxyRuntime(settings, refresh_seconds=refresh_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    app = GuardApp(
        title="aisec guard",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = rt
    app.openai = OpenAIRoutes(rt)

    def proxy() -> GuardProxy:
        assert rt.proxy is not None
        return rt.proxy

    async def serve(request: Request, handler: Handler) -> Response:
        """An admin request: the administrator key, the handler, the log line."""
        rid = new_id()
        t0 = time.perf_counter()
        fields: dict[str, Any] = {"request_id": rid, "endpoint": "admin"}
        try:
            key = authenticate(rt, request.headers.get("authorization", ""), admin=True)
            fields["key"] = key.name
            request.state.key = key
            reply = await handler(request, rid)
            assert reply.body is not None
            response: Response = JSONResponse(reply.body, reply.status, {"x-request-id": rid})
        except ProxyError as exc:
            response = JSONResponse(exc.body, exc.status, {"x-request-id": rid, **exc.headers})
        except Exception:  # a bug: an OpenAI-style 500, the details in the log only
            logger.exception("internal error", extra={"fields": fields})
            response = JSONResponse(
                error_body("internal error in the guard proxy", "server_error", "internal_error"),
                500,
                {"x-request-id": rid},
            )
        seconds = time.perf_counter() - t0
        proxy().metrics.request("admin", response.status_code, seconds)
        fields.update(status=response.status_code, ms=round(seconds * 1000, 2))
        logger.info("request", extra={"fields": fields})
        return response

    # -- human control -----------------------------------------------------------------

    async def admin_body(request: Request) -> tuple[Body, str]:
        body = (
            await read_json(request, 65536)
            if int(request.headers.get("content-length") or 0)
            else {}
        )
        key: KeyInfo = request.state.key
        actor = str(body.get("actor") or key.name)[:256]
        return body, actor

    async def halt(request: Request, _rid: str) -> Reply:
        body, actor = await admin_body(request)
        reason = body.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ProxyError(
                400,
                error_body(
                    'say why: {"reason": "..."}', "invalid_request_error", "reason_required"
                ),
            )
        return await set_state(True, actor, reason.strip())

    async def resume(request: Request, _rid: str) -> Reply:
        body, actor = await admin_body(request)
        reason = body.get("reason")
        return await set_state(False, actor, reason if isinstance(reason, str) else None)

    async def set_state(halted: bool, actor: str, reason: str | None) -> Reply:
        assert rt.store is not None and rt.cache is not None
        state = await asyncio.to_thread(set_halted, rt.store, halted, actor=actor, reason=reason)
        rt.cache.set_state(state)
        return Reply(200, {"halted": state.halted, "actor": state.actor, "reason": state.reason})

    async def reload(request: Request, _rid: str) -> Reply:
        body, actor = await admin_body(request)
        try:
            await rt.reload(f"admin {actor}")
        except AisecError as exc:
            raise ProxyError(
                400,
                error_body(f"policy not reloaded: {exc}", "invalid_request_error", "bad_policy"),
            ) from None
        assert rt.store is not None
        reason = body.get("reason")
        generation = await asyncio.to_thread(
            request_reload,
            rt.store,
            actor=actor,
            reason=reason if isinstance(reason, str) else None,
        )
        # this worker has the new policy already; generations only move forward (the
        # background refresher may hold a reading from before the bump)
        rt.generation = max(rt.generation, generation)
        assert rt.cache is not None
        await asyncio.to_thread(rt.cache.refresh)
        return Reply(200, {"reloaded": True, "generation": generation})

    async def status(_request: Request, _rid: str) -> Reply:
        assert rt.cache is not None
        s = rt.cache.state
        changed = s.changed_at.isoformat() if s.changed_at else None
        return Reply(
            200,
            {
                "halted": s.halted,
                "reason": s.reason,
                "actor": s.actor,
                "changed_at": changed,
                "policy_generation": s.policy_generation,
            },
        )

    async def incidents(request: Request, _rid: str) -> Reply:
        assert rt.store is not None
        status = request.query_params.get("status") or None
        if status not in (None, "open", "closed"):
            raise ProxyError(
                400, error_body("status is open or closed", "invalid_request_error", "bad_status")
            )
        limit = request.query_params.get("limit", "100")
        rows = await asyncio.to_thread(
            list_incidents, rt.store, status=status, limit=int(limit) if limit.isdigit() else 100
        )
        return Reply(200, {"incidents": [i.as_dict(timeline=False) for i in rows]})

    def _incident_id(request: Request) -> int:
        ident = str(request.path_params.get("incident_id", ""))
        if not ident.isdigit():
            raise ProxyError(
                404, error_body("no such incident", "invalid_request_error", "unknown_incident")
            )
        return int(ident)

    async def incident(request: Request, _rid: str) -> Reply:
        assert rt.store is not None
        try:
            info = await asyncio.to_thread(get_incident, rt.store, _incident_id(request))
        except GuardError as exc:
            raise ProxyError(
                404, error_body(str(exc), "invalid_request_error", "unknown_incident")
            ) from None
        return Reply(200, info.as_dict())

    async def incident_close(request: Request, _rid: str) -> Reply:
        body, actor = await admin_body(request)
        reason = body.get("reason")
        assert rt.store is not None
        ident = _incident_id(request)
        try:
            info = await asyncio.to_thread(
                close_incident,
                rt.store,
                ident,
                actor=actor,
                reason=reason if isinstance(reason, str) else None,
            )
        except GuardError as exc:
            raise ProxyError(
                409, error_body(str(exc), "invalid_request_error", "incident_not_open")
            ) from None
        assert info is not None
        return Reply(200, info.as_dict())

    def admin_route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await serve(request, handler)

        return endpoint

    # every admin route needs the admin key (checked in `serve`)
    for method, path, handler in (
        ("GET", "/admin/incidents", incidents),
        ("GET", "/admin/incidents/{incident_id}", incident),
        ("POST", "/admin/incidents/{incident_id}/close", incident_close),
        ("POST", "/admin/halt", halt),
        ("POST", "/admin/resume", resume),
        ("POST", "/admin/reload", reload),
        ("GET", "/admin/status", status),
    ):
        app.add_api_route(path, admin_route(handler), methods=[method])

    # -- operation ---------------------------------------------------------------------

    @app.get("/healthz")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> Response:
        ready = rt.ready
        halted = rt.cache is not None and rt.cache.state.halted
        return JSONResponse({"ready": ready, "halted": halted}, 200 if ready else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        if rt.audit is not None:
            proxy().metrics.audit(rt.audit.stats)
        return Response(proxy().metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


def settings_from_env() -> ProxySettings:
    """Settings from the environment (how `aisec guard serve` passes them to workers)."""
    upstream = os.environ.get(ENV_UPSTREAM, "")
    policy = os.environ.get(ENV_POLICY)
    return ProxySettings(
        upstream=upstream,
        upstream_key=os.environ.get(ENV_UPSTREAM_KEY) or None,
        policy=Path(policy) if policy else None,
        database_url=os.environ.get(ENV_DATABASE) or None,
        applications=applications_from_text(os.environ.get(ENV_APPS) or "{}"),
    )


def applications_from_text(text: str) -> dict[str, Path | None]:
    """`ENV_APPS`: a JSON object, application name → policy file (or null)."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise GuardError(f"{ENV_APPS} is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise GuardError(f"{ENV_APPS} must be a JSON object: name → policy file")
    apps: dict[str, Path | None] = {}
    for name, path in raw.items():
        if not valid_app_name(name) or not (path is None or isinstance(path, str)):
            raise GuardError(f"{ENV_APPS}: bad application {name!r}")
        apps[name] = Path(path) if path else None
    return apps


def app_from_env() -> GuardApp:
    """The uvicorn factory: ``uvicorn --factory aisec.server.app:app_from_env``."""
    return create_app(settings_from_env())
