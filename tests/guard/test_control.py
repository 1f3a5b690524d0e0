"""`ControlCache`: overlapping reads of the kill switch never put an older snapshot back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisec.guard import control
from aisec.guard.control import ControlCache, ControlState, read_state, request_reload, set_halted
from aisec.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'c.db'}") as s:
        yield s


def _slow_first_read(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The first `read_state` reads the database at once, then waits before returning (an
    old reading held back); later ones run normally."""
    has_read, release = threading.Event(), threading.Event()
    calls = 0

    def read(store: Store) -> ControlState:
        nonlocal calls
        calls += 1
        state = read_state(store)
        if calls == 1:
            has_read.set()
            assert release.wait(10)
        return state

    monkeypatch.setattr(control, "read_state", read)
    return has_read, release


def test_a_late_older_reading_does_not_replace_a_newer_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ControlCache(store)
    has_read, release = _slow_first_read(monkeypatch)
    background = threading.Thread(target=cache.refresh)  # the refresher, before the bump
    background.start()
    assert has_read.wait(10)
    generation = request_reload(store, actor="admin")
    cache.refresh()  # the admin call's own read, after the bump
    assert cache.state.policy_generation == generation
    release.set()
    background.join(10)
    assert cache.state.policy_generation == generation  # not the held-back reading
    assert cache.healthy and cache.loaded
    cache.refresh()  # the next read applies as usual
    assert cache.state.policy_generation == generation


def test_a_reading_from_before_a_halt_does_not_undo_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ControlCache(store)
    has_read, release = _slow_first_read(monkeypatch)
    background = threading.Thread(target=cache.refresh)
    background.start()
    assert has_read.wait(10)
    cache.set_state(set_halted(store, True, actor="ops", reason="incident"))
    release.set()
    background.join(10)
    assert cache.state.halted and cache.state.actor == "ops"


def test_without_overlap_every_reading_applies(store: Store) -> None:
    cache = ControlCache(store)
    cache.refresh()
    assert not cache.state.halted
    set_halted(store, True, actor="ops", reason="x")
    cache.refresh()
    assert cache.state.halted
    set_halted(store, False, actor="ops", reason=None)
    cache.refresh()
    assert not cache.state.halted
