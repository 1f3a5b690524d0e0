"""Shared fixtures for the labelling tests: independent readers (ExifTool, ffprobe) and a
sample label. A missing tool FAILS the test with the fix — the independent reader is the
point of these tests, so they are never skipped."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aisec.label.model import AigcLabel

#: A unified social credit code with a correct GB 32100 check character.
USCC = "91350100M000100Y43"


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not installed (Debian package {package}); run `make sysdeps`",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def exiftool() -> str:
    """Path of the ExifTool binary (libimage-exiftool-perl)."""
    return _tool("exiftool", "libimage-exiftool-perl")


@pytest.fixture(scope="session")
def exiftool_ooxml(exiftool: str) -> str:
    """ExifTool able to read DOCX/XLSX/PPTX, which needs Perl's Archive::Zip."""
    probe = subprocess.run(["perl", "-MArchive::Zip", "-e1"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.fail(
            "ExifTool cannot read Office files without Perl's Archive::Zip (Debian package "
            "libarchive-zip-perl); run `make sysdeps`",
            pytrace=False,
        )
    return exiftool


@pytest.fixture(scope="session")
def ffprobe() -> str:
    """Path of the ffprobe binary (ffmpeg)."""
    return _tool("ffprobe", "ffmpeg")


@pytest.fixture(scope="session")
def exif_tags(exiftool: str) -> Callable[[Path], dict[str, Any]]:
    """Read a file with ``exiftool -j -G1 -a``: tag names like ``XMP-TC260:Aigc``."""

    def read(path: Path) -> dict[str, Any]:
        out = subprocess.run(
            [exiftool, "-j", "-G1", "-a", "-struct", str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        data: list[dict[str, Any]] = json.loads(out.stdout)
        return data[0]

    return read


@pytest.fixture
def sample_label() -> AigcLabel:
    """A producer-only label."""
    return AigcLabel("1", USCC, "job-0001")
