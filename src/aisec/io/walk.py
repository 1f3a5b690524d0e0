"""Expanding the paths a user gives into the files to work on."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from aisec.errors import InputError


def walk_files(paths: Iterable[Path], extensions: Collection[str]) -> list[Path]:
    """Files as given, and folders walked recursively for files whose lower-case suffix is
    in ``extensions`` (hidden files and folders, and so aisec's own temporary files,
    skipped), in sorted order. A path that does not exist is an :class:`InputError`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and child.suffix.lower() in extensions:
                    found.append(child)
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found
