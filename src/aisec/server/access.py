"""Who may call what, and with how much: keys, applications, rate limits and request
bodies — the checks every proxy request goes through, shared by the OpenAI endpoints
(`aisec.server.openai_routes`) and the admin endpoints (`aisec.server.app`). Each
failure is a `ProxyError` with an OpenAI-style body."""

from __future__ import annotations

import math

from aisec.guard.keys import KeyInfo, hash_key
from aisec.guard.openai_api import Body, error_body
from aisec.guard.proxy import ProxyError, ProxySettings, parse_json
from aisec.io.records import load_json
from aisec.server.runtime import ProxyRuntime


def _auth_error(message: str, code: str) -> ProxyError:
    return ProxyError(401, error_body(message, "invalid_request_error", code))


def authenticate(rt: ProxyRuntime, authorization: str, *, admin: bool) -> KeyInfo:
    """The key of an ``Authorization`` header, or 401 (an administrator key is no client
    key, and back). Keys are looked up by their digest, never kept."""
    scheme, _, token = authorization.partition(" ")
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


def check_rate(rt: ProxyRuntime, key: KeyInfo) -> None:
    """Take one of the key's tokens, or 429 with ``Retry-After``."""
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


def choose_application(settings: ProxySettings, key: KeyInfo, route_app: str | None) -> str:
    """The application (policy) of a request: the route's (``/app/<name>/v1/...``), else
    the key's, else the default one. A key bound to an application may not use another
    application's route (403); an unknown application is a 404."""
    # (`settings.policies()` is made only when a name is to be checked)
    if route_app is not None and route_app not in settings.policies():
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
        if key.application not in settings.policies():
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


def too_large(limit: int) -> ProxyError:
    """413: the body is over ``limit`` bytes."""
    return ProxyError(
        413,
        error_body(
            f"request body over {limit} bytes", "invalid_request_error", "request_too_large"
        ),
    )


def json_object(data: bytes | bytearray) -> Body:
    """A request body as a JSON object, or 400 (also for JSON nested too deep: `load_json`)."""
    try:
        body = load_json(data, parse_json)
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
