"""The on-disk cache of compiled Hyperscan databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisec.text.hsdb import Matcher, compile_database


def hits(db: Matcher, data: bytes) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []

    def on_match(pid: int, _s: int, e: int, _f: int, _c: object) -> None:
        out.append((pid, e))

    db.scan(data, on_match)
    return out


def test_cached_database_is_reused_and_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISEC_CACHE_DIR", str(tmp_path))
    first = compile_database([b"abc", b"de"], [0, 0], literal=True)
    files = list((tmp_path / "hyperscan").glob("*.hsdb"))
    assert len(files) == 1
    again = compile_database([b"abc", b"de"], [0, 0], literal=True)  # loaded from the file
    assert hits(first, b"xabcde") == hits(again, b"xabcde") == [(0, 4), (1, 6)]
    compile_database([b"abc"], [0], literal=True)  # other patterns: another file
    assert len(list((tmp_path / "hyperscan").glob("*.hsdb"))) == 2


def test_corrupt_cache_file_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_CACHE_DIR", str(tmp_path))
    compile_database([rb"\d{3}"], [0])
    (path,) = (tmp_path / "hyperscan").glob("*.hsdb")
    path.write_bytes(b"not a database")
    db = compile_database([rb"\d{3}"], [0])
    assert hits(db, b"a123") == [(0, 4)]
    assert path.read_bytes() != b"not a database"


def test_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    db = compile_database([b"x"], [0], literal=True)
    assert hits(db, b"axb") == [(0, 2)]
    assert not list(tmp_path.rglob("*.hsdb"))
