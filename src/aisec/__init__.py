"""aisec — TC260 AI security practice guides, put into practice."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aisec")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
