"""The HTTP face of the guard: a FastAPI app over `GuardProxy` (thin on purpose).

Every ``/v1/*`` call needs ``Authorization: Bearer <client key>``, every ``/admin/*`` call
an administrator key; ``/healthz``, ``/readyz`` and ``/metrics`` change nothing and are
open. Each request is: request id → key → rate limit → size-limited JSON body → kill
switch → `GuardProxy` → response, then one JSON log line (no prompt, no answer).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST

from aisec.errors import AisecError
from aisec.guard.control import REFRESH_SECONDS, request_reload, set_halted
from aisec.guard.incidents import close_incident, get_incident, list_incidents
from aisec.guard.keys import GuardError, KeyInfo, hash_key, valid_app_name
from aisec.guard.openai_api import Body, error_body
from aisec.guard.proxy import HALTED_KIND, GuardProxy, ProxyError, ProxySettings, Reply
from aisec.server.runtime import ProxyRuntime

logger = logging.getLogger("aisec.guard.requests")

ENV_UPSTREAM = "AISEC_GUARD_UPSTREAM"
ENV_UPSTREAM_KEY = "AISEC_UPSTREAM_API_KEY"
ENV_POLICY = "AISEC_GUARD_POLICY"
ENV_DATABASE = "AISEC_DATABASE_URL"
#: further applications: a JSON object, name → policy file (or null for the default policy)
ENV_APPS = "AISEC_GUARD_APPS"

Handler = Callable[[Request, str], Awaitable[Reply]]


def _auth_error(message: str, code: str) -> ProxyError:
    return ProxyError(401, error_body(message, "invalid_request_error", code))


def authenticate(rt: ProxyRuntime, request: Request, *, admin: bool) -> KeyInfo:
    """The key of the request, or 401 (an administrator key is no client key, and back)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _auth_error(
            "no API key: send 'Authorization: Bearer <key>' (aisec guard keys create)",
            "missing_api_key",
        )
    assert rt.cache is not None
    info = rt.cache.keys.get(hash_key(token))
    if info is None or info.admin != admin:
        raise _auth_error("invalid API key", "invalid_api_key")
    return info


async def read_json(request: Request, limit: int) -> Body:
    """The request body as a JSON object, at most ``limit`` bytes (413 beyond)."""
    too_big = ProxyError(
        413,
        error_body(
            f"request body over {limit} bytes", "invalid_request_error", "request_too_large"
        ),
    )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_big
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > limit:
            raise too_big
    try:
        body = json.loads(data)
    except ValueError:
        raise ProxyError(
            400, error_body("the body is not valid JSON", "invalid_request_error", "invalid_json")
        ) from None
    if not isinstance(body, dict):
        raise ProxyError(
            400,
            error_body("the body must be a JSON object", "invalid_request_error", "invalid_json"),
        )
    return body


def choose_application(settings: ProxySettings, key: KeyInfo, route_app: str | None) -> str:
    """The application (policy) of a request: the route's (``/app/<name>/v1/...``), else
    the key's, else the default one. A key bound to an application may not use another
    application's route (403); an unknown application is a 404."""
    known = settings.policies()
    if route_app is not None and route_app not in known:
        raise ProxyError(
            404,
            error_body(
                f"no application {route_app!r} on this proxy",
                "invalid_request_error",
                "unknown_application",
            ),
        )
    if key.application is not None:
        if route_app is not None and route_app != key.application:
            raise ProxyError(
                403,
                error_body(
                    f"key {key.name!r} belongs to application {key.application!r}",
                    "invalid_request_error",
                    "wrong_application",
                ),
            )
        if key.application not in known:
            raise ProxyError(
                403,
                error_body(
                    f"key {key.name!r} belongs to application {key.application!r}, which "
                    "this proxy does not serve",
                    "invalid_request_error",
                    "application_not_served",
                ),
            )
        return key.application
    return route_app or settings.application


def _respond(reply: Reply, rid: str) -> Response:
    headers = {"x-request-id": rid}
    if reply.stream is not None:
        headers["cache-control"] = "no-cache"
        return StreamingResponse(reply.stream, reply.status, headers, "text/event-stream")
    return JSONResponse(reply.body, reply.status, headers)


def create_app(settings: ProxySettings, *, refresh_seconds: float = REFRESH_SECONDS) -> FastAPI:
    """The proxy app for ``settings`` (one per worker)."""
    rt = ProxyRuntime(settings, refresh_seconds=refresh_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    app = FastAPI(
        title="aisec guard",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = rt

    def proxy() -> GuardProxy:
        assert rt.proxy is not None
        return rt.proxy

    async def serve(
        request: Request,
        endpoint: str,
        handler: Handler,
        *,
        admin: bool = False,
        route_app: str | None = None,
    ) -> Response:
        rid = uuid.uuid4().hex
        t0 = time.perf_counter()
        fields: dict[str, Any] = {"request_id": rid, "endpoint": endpoint}
        app_name: str | None = None
        blocked = upstream_error = False
        try:
            key = authenticate(rt, request, admin=admin)
            fields["key"] = key.name
            if not admin:
                app_name = request.state.app = choose_application(settings, key, route_app)
                fields["app"] = app_name
                wait = rt.limiter.take(key.id, key.rate_per_minute)
                if wait > 0:
                    raise ProxyError(
                        429,
                        error_body(
                            f"rate limit reached for key {key.name!r}; retry in {wait:.1f} s",
                            "requests",
                            "rate_limit_exceeded",
                        ),
                        {"retry-after": str(max(1, math.ceil(wait)))},
                    )
            request.state.key = key
            reply = await handler(request, rid)
            fields.update(decision=reply.decision, kinds=reply.kinds)
            blocked = reply.decision == "block" and HALTED_KIND not in reply.kinds
            response = _respond(reply, rid)
        except ProxyError as exc:
            upstream_error = exc.body.get("error", {}).get("type") == "upstream_error"
            response = JSONResponse(exc.body, exc.status, {"x-request-id": rid, **exc.headers})
        except Exception:  # a bug: an OpenAI-style 500, the details in the log only
            logger.exception("internal error", extra={"fields": fields})
            response = JSONResponse(
                error_body("internal error in the guard proxy", "server_error", "internal_error"),
                500,
                {"x-request-id": rid},
            )
        seconds = time.perf_counter() - t0
        if app_name is not None and endpoint != "models":
            rt.observe(app_name, blocked=blocked, upstream_error=upstream_error)
        proxy().metrics.requests.labels(endpoint, str(response.status_code)).inc()
        proxy().metrics.request_seconds.labels(endpoint).observe(seconds)
        fields.update(status=response.status_code, ms=round(seconds * 1000, 2))
        logger.info("request", extra={"fields": fields})
        return response

    async def guarded(
        request: Request,
        rid: str,
        chat: bool | None,
        call: Callable[[Body, str, str], Awaitable[Reply]],
    ) -> Reply:
        app_name: str = request.state.app
        limit = proxy().guard_for(app_name).config.proxy.max_request_bytes
        body = await read_json(request, limit) if request.method == "POST" else {}
        assert rt.cache is not None
        state = rt.cache.state
        if state.halted:
            return proxy().halted(chat, body, rid, state.reason, app_name)
        return await call(body, rid, app_name)

    def endpoint(
        name: str,
        chat: bool | None,
        call: Callable[[], Callable[[Body, str, str], Awaitable[Reply]]],
    ) -> Callable[[Request], Awaitable[Response]]:
        """The handler of one OpenAI endpoint (``call`` picks the proxy's method at request
        time: the proxy is only there once the app has started)."""

        async def handler(request: Request) -> Response:
            return await serve(
                request,
                name,
                lambda r, rid: guarded(r, rid, chat, call()),
                route_app=request.path_params.get("app_name"),
            )

        return handler

    routes = (
        ("/chat/completions", "POST", endpoint("chat", True, lambda: proxy().chat)),
        ("/completions", "POST", endpoint("completions", False, lambda: proxy().completions)),
        ("/embeddings", "POST", endpoint("embeddings", None, lambda: proxy().embeddings)),
        ("/models", "GET", endpoint("models", None, lambda: lambda _b, _r, _a: proxy().models())),
    )
    # each endpoint at /v1/... (the key's application, else the default one) and at
    # /app/<name>/v1/... (application <name>)
    for prefix in ("/v1", "/app/{app_name}/v1"):
        for path, method, respond in routes:
            app.add_api_route(prefix + path, respond, methods=[method])

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
            return await serve(request, "admin", handler, admin=True)

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


def app_from_env() -> FastAPI:
    """The uvicorn factory: ``uvicorn --factory aisec.server.app:app_from_env``."""
    return create_app(settings_from_env())
