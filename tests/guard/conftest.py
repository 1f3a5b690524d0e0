"""Fixtures for the proxy tests (the servers themselves are in ``proxy_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from proxy_support import Proxy, ServerThread, Upstream, start_proxy


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    """The scripted upstream model, for the whole session."""
    up = Upstream()
    with ServerThread(up.app()) as server:
        up.server = server
        yield up


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def proxy(
    request: pytest.FixtureRequest, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    """The proxy (blocks answered with HTTP 200) over SQLite, then PostgreSQL."""
    yield from start_proxy(request, upstream, tmp_path_factory.mktemp("proxy"), request.param, 200)


@pytest.fixture(scope="module")
def proxy403(
    request: pytest.FixtureRequest, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    """A proxy whose policy answers blocks with HTTP 403 (SQLite)."""
    yield from start_proxy(request, upstream, tmp_path_factory.mktemp("proxy403"), "sqlite", 403)
