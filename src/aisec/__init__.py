"""aisec — TC260 AI security practice guides, put into practice."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # The version comes from the installed metadata; importlib.metadata is slow to import,
    # and every ``aisec`` command and ``import aisec.*`` pays for this package's import.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("aisec")
        except PackageNotFoundError:  # running from a source tree without install
            value = "0.0.0+source"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'aisec' has no attribute {name!r}")
