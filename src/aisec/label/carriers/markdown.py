"""Markdown: the key ``AIGC`` in the YAML front matter, its value the label JSON as a
single-quoted YAML string::

    ---
    title: keep me
    AIGC: '{"Label":"1","ContentProducer":"...",...}'
    ---

Only the ``AIGC`` entry is touched (edited as text, so other keys keep their exact
formatting); a file without front matter gets one, and loses it again when the label is
removed and nothing else is left. A front-matter ``AIGC:`` written as a YAML mapping of
the seven fields is read too. Signatures cover the body after the front matter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from aisec.label.carriers._io import fail, lazy_module
from aisec.label.carriers.base import KEY, CarrierHit

if TYPE_CHECKING:
    import yaml
else:
    yaml = lazy_module("yaml")

_OPEN = re.compile(r"\A(\ufeff?)---[ \t]*(\r?\n)")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M)
_TOP_KEY = re.compile(r"^[^\s#-]")
_MAX_SIZE = 64 << 20
#: Most nodes (mappings, sequences, scalars) an AIGC value may have: YAML aliases let a few
#: hundred bytes describe a structure with billions of nodes once written out as text.
_MAX_NODES = 10_000


def _load(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > _MAX_SIZE:
            raise fail(path, "markdown", f"{size} bytes is too large for a Markdown file")
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise fail(path, "markdown", f"cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise fail(path, "markdown", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _split(text: str, path: Path) -> tuple[str, str | None, str, str]:
    """(BOM, front matter text or None, body, newline)."""
    m = _OPEN.match(text)
    if m is None:
        nl = "\r\n" if "\r\n" in text[:4096] else "\n"
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        return bom, None, text[len(bom) :], nl
    close = _CLOSE.search(text, m.end())
    if close is None:
        raise fail(path, "markdown", "front matter opened with --- is never closed")
    return m.group(1), text[m.end() : close.start()], text[close.end() :], m.group(2)


def _entries(front: str, path: Path) -> dict[str, object]:
    try:
        data = yaml.safe_load(front) if front.strip() else {}
    except yaml.YAMLError as exc:
        raise fail(path, "markdown", f"front matter is not valid YAML ({exc})") from None
    except ValueError as exc:  # a well-formed but impossible value, e.g. date 2020-02-30
        raise fail(path, "markdown", f"front matter has an invalid value ({exc})") from None
    except RecursionError:
        raise fail(path, "markdown", "front matter is nested too deeply") from None
    if not isinstance(data, dict):
        raise fail(path, "markdown", "front matter is not a YAML mapping")
    return data


def _check_size(value: object, path: Path) -> None:
    """Refuse an AIGC value with more than :data:`_MAX_NODES` nodes (counted without
    recursion, each alias counted again: that is how it would be written out)."""
    pending, nodes = [value], 0
    while pending:
        node = pending.pop()
        nodes += 1
        if nodes > _MAX_NODES:
            raise fail(path, "markdown", "the AIGC value in the front matter is too large")
        if isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list | tuple | set):
            pending.extend(node)


def _without_key(front: str) -> str:
    """Front matter text with the top-level AIGC entry (and its continuation) removed."""
    out: list[str] = []
    skipping = False
    for line in front.splitlines(keepends=True):
        if _TOP_KEY.match(line):
            skipping = re.match(rf"""^(?:{KEY}|'{KEY}'|"{KEY}")\s*:""", line) is not None
        elif not line.strip() and skipping:
            continue
        if not skipping:
            out.append(line)
    return "".join(out)


class MarkdownCarrier:
    """Markdown YAML front matter ``AIGC:``."""

    name = "markdown"
    extensions = (".md", ".markdown", ".mdown", ".mkd")

    def sniff(self, head: bytes) -> bool:
        """Text has no magic bytes: Markdown is recognised by its extension."""
        return False

    def read(self, path: Path) -> list[CarrierHit]:
        """The front matter's AIGC value."""
        _, front, _, _ = _split(_load(path), path)
        if front is None:
            return []
        value = _entries(front, path).get(KEY)
        if value is None:
            return []
        _check_size(value, path)
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return [CarrierHit("markdown:front-matter", str(value))]

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Rewrite the front matter's AIGC entry; the body is copied as it is."""
        bom, front, body, nl = _split(_load(src), src)
        if front is not None:
            _entries(front, src)  # refuse to edit front matter that is not YAML
        rest = _without_key(front or "")
        if rest and not rest.endswith(("\n", "\r\n")):
            rest += nl
        if payload is not None:
            rest += f"{KEY}: '{payload.replace(chr(39), chr(39) * 2)}'{nl}"
        text = f"{bom}---{nl}{rest}---{nl}{body}" if rest.strip() else bom + body
        with dst.open("wb") as out:
            out.write(text.encode("utf-8"))

    def content(self, path: Path) -> Iterator[bytes]:
        """The body after the front matter."""
        _, _, body, _ = _split(_load(path), path)
        yield body.encode("utf-8")


CARRIER = MarkdownCarrier()
