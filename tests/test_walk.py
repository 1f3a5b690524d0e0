"""`aisec.io.walk.walk_files`: what a folder argument expands to."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisec.errors import InputError
from aisec.io.walk import walk_files


def test_walks_folders_sorted_skipping_hidden_and_other_types(tmp_path: Path) -> None:
    for rel in ("b/2.png", "a.PNG", "b/1.jpg", "notes.txt", ".hidden/x.png", "b/.tmp.png.1"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    got = walk_files([tmp_path], {".png", ".jpg"})
    assert [p.relative_to(tmp_path).as_posix() for p in got] == ["a.PNG", "b/1.jpg", "b/2.png"]


def test_files_are_taken_as_given_and_missing_paths_are_errors(tmp_path: Path) -> None:
    given = tmp_path / "any.bin"
    given.write_bytes(b"x")
    assert walk_files([given], {".png"}) == [given]
    with pytest.raises(InputError, match="no such file or folder"):
        walk_files([tmp_path / "missing"], {".png"})
