"""Fixtures of the detector tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aisec.runtime import native_enabled


@pytest.fixture
def native_off(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Callable[[], None]:
    """A function that switches the compiled parts off (``AISEC_NATIVE=0``) for the rest of
    the test; they are read again after it."""

    def switch_off() -> None:
        monkeypatch.setenv("AISEC_NATIVE", "0")
        native_enabled.cache_clear()  # read again now, and again after the test

    request.addfinalizer(native_enabled.cache_clear)
    return switch_off
