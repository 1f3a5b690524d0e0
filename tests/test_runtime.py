"""Allocator tuning: applied on glibc Linux, a harmless no-op elsewhere."""

from __future__ import annotations

import platform
import sys

from aisec.runtime import tune_allocator


def test_tune_allocator_reports_whether_it_applied() -> None:
    applied = tune_allocator()
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert applied is glibc
