"""DOCX / XLSX / PPTX (Office Open XML): the custom document property ``AIGC``
(``docProps/custom.xml``, type ``vt:lpwstr``).

The package is rebuilt member by member in the original order, each with its original
name, date, attributes and compression method, so every part other than
``docProps/custom.xml``, ``[Content_Types].xml`` and ``_rels/.rels`` has identical
bytes when decompressed. The last two only gain the custom-properties declaration when
it is missing; ``custom.xml`` keeps its other properties, edited as text.

Signatures cover every part except ``docProps/*``, ``[Content_Types].xml`` and
``_rels/.rels`` (name and decompressed bytes, in name order).
"""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from aisec.label.carriers._io import fail
from aisec.label.carriers._xmp import closed_elements, escape, unescape
from aisec.label.carriers.base import KEY, CarrierHit

CUSTOM = "docProps/custom.xml"
_TYPES = "[Content_Types].xml"
_RELS = "_rels/.rels"
_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_EMPTY_CUSTOM = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>'
)
# A tag holds no "<": stopping there keeps a run of unclosed "<property" linear (scanning
# on to the next ">" from each of them took 30 s on 200 KB).
_PROP_OPEN = re.compile(r"""<property\b[^<>]*\bname\s*=\s*(["'])AIGC\1[^<>]*>""")
_PROP_CLOSE = re.compile(r"</property\s*>")
_LPWSTR = re.compile(r"<vt:lpwstr(\s*/)?>")
_PID = re.compile(r"""\bpid\s*=\s*["'](\d+)["']""")
_MAX_PART = 64 << 20  # metadata parts larger than this are not metadata
#: What zipfile raises on a damaged or unsupported package: bad headers or CRCs, offsets
#: outside the file (OSError from a seek), unsupported versions, compression methods and
#: encryption (NotImplementedError, RuntimeError), undecodable member names.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


def _open(path: Path) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise fail(path, "office", f"not a readable zip package ({exc})") from None
    if _TYPES not in zf.namelist():
        zf.close()
        raise fail(
            path, "office", "a zip file but not an Office Open XML package (no [Content_Types].xml)"
        )
    return zf


def _read_text(zf: zipfile.ZipFile, name: str, path: Path) -> str | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_PART:
        raise fail(path, "office", f"{name} is implausibly large")
    try:
        return zf.read(info).decode("utf-8")
    except _ZIP_ERRORS as exc:  # UnicodeDecodeError is a ValueError
        raise fail(path, "office", f"cannot read {name} ({exc})") from None


def _aigc_properties(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, inner XML)`` of each AIGC property, what ``finditer`` of
    ``<property …name="AIGC"…>(.*?)</property>`` (DOTALL) finds, in linear time
    (`closed_elements`: that expression took 12 s on a 320 KB part of unclosed openings)."""
    for m, close in closed_elements(text, _PROP_OPEN, _PROP_CLOSE):
        yield m.start(), close.end(), text[m.end() : close.start()]


def _labels(custom: str) -> list[str]:
    found = []
    for _start, _end, inner in _aigc_properties(custom):
        v = _string_value(inner)
        found.append(unescape(v, {"&quot;": '"', "&apos;": "'"}) if v else "")
    return found


def _string_value(inner: str) -> str | None:
    """The first ``<vt:lpwstr>…</vt:lpwstr>`` (or empty ``<vt:lpwstr/>``) of a property, as
    ``re.search(r"<vt:lpwstr>(.*?)</vt:lpwstr>|<vt:lpwstr\\s*/>", inner, re.S)`` finds it,
    looking for the closing tag once (that search looked from every opening to the end)."""
    closed = True
    for m in _LPWSTR.finditer(inner):
        if m.group(1) is not None:
            return ""
        if closed:
            end = inner.find("</vt:lpwstr>", m.end())
            if end >= 0:
                return inner[m.end() : end]
            closed = False  # nor after any later opening
    return None


def _edit_custom(custom: str | None, payload: str | None, path: Path) -> str | None:
    text = custom if custom is not None else _EMPTY_CUSTOM
    kept, pos = [], 0
    for start, end, _inner in _aigc_properties(text):
        kept.append(text[pos:start])
        pos = end
    text = "".join(kept) + text[pos:]
    if payload is not None:
        close = text.rfind("</Properties>")
        if close < 0:
            raise fail(path, "office", "docProps/custom.xml has no </Properties>")
        pid = max([int(p) for p in _PID.findall(text)] + [1]) + 1
        prop = (
            f'<property fmtid="{_FMTID}" pid="{pid}" name="{KEY}">'
            f"<vt:lpwstr>{escape(payload)}</vt:lpwstr></property>"
        )
        text = text[:close] + prop + text[close:]
    elif custom is None:
        return None
    return text


def _ensure_declared(types: str, rels: str | None, path: Path) -> tuple[str, str]:
    if "/docProps/custom.xml" not in types:
        close = types.rfind("</Types>")
        if close < 0:
            raise fail(path, "office", "[Content_Types].xml has no </Types>")
        types = (
            types[:close]
            + f'<Override PartName="/docProps/custom.xml" ContentType="{_CUSTOM_CT}"/>'
            + types[close:]
        )
    if rels is None:
        raise fail(path, "office", "the package has no _rels/.rels")
    if _CUSTOM_REL not in rels:
        close = rels.rfind("</Relationships>")
        if close < 0:
            raise fail(path, "office", "_rels/.rels has no </Relationships>")
        ids = set(re.findall(r"""\bId\s*=\s*["']([^"']+)["']""", rels))
        n = 1
        while f"rIdAigc{n}" in ids:
            n += 1
        rels = (
            rels[:close]
            + f'<Relationship Id="rIdAigc{n}" Type="{_CUSTOM_REL}" Target="docProps/custom.xml"/>'
            + rels[close:]
        )
    return types, rels


class OfficeCarrier:
    """Office Open XML custom property ``AIGC``."""

    name = "office"
    extensions = (".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm")

    def sniff(self, head: bytes) -> bool:
        """A zip local file header (the package check happens on open)."""
        return head.startswith(b"PK\x03\x04")

    def read(self, path: Path) -> list[CarrierHit]:
        """Custom properties named AIGC."""
        with _open(path) as zf:
            custom = _read_text(zf, CUSTOM, path)
        return [] if custom is None else [CarrierHit("office:custom", v) for v in _labels(custom)]

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Rebuild the package with the custom property set (or removed)."""
        with _open(src) as zf:
            infos = zf.infolist()
            custom = _read_text(zf, CUSTOM, src)
            new_custom = _edit_custom(custom, payload, src)
            replaced: dict[str, str] = {}
            if new_custom is not None:
                replaced[CUSTOM] = new_custom
            if payload is not None:
                types = _read_text(zf, _TYPES, src) or ""
                rels = _read_text(zf, _RELS, src)
                new_types, new_rels = _ensure_declared(types, rels, src)
                replaced[_TYPES], replaced[_RELS] = new_types, new_rels
            try:
                with zipfile.ZipFile(dst, "w", allowZip64=True) as out:
                    for info in infos:
                        copy = zipfile.ZipInfo(info.filename, info.date_time)
                        copy.compress_type = info.compress_type
                        copy.external_attr = info.external_attr
                        copy.create_system = info.create_system
                        copy.comment = info.comment
                        if info.filename in replaced:
                            out.writestr(copy, replaced.pop(info.filename).encode("utf-8"))
                            continue
                        big = info.file_size > 0x7FFFFFFF
                        with zf.open(info) as fin, out.open(copy, "w", force_zip64=big) as fout:
                            shutil.copyfileobj(fin, fout, 1 << 20)
                    if CUSTOM in replaced:  # a new part
                        copy = zipfile.ZipInfo(CUSTOM, infos[0].date_time)
                        copy.compress_type = zipfile.ZIP_DEFLATED
                        out.writestr(copy, replaced.pop(CUSTOM).encode("utf-8"))
                    out.comment = zf.comment
            except _ZIP_ERRORS as exc:
                raise fail(src, "office", f"damaged package, cannot copy it ({exc})") from None

    def content(self, path: Path) -> Iterator[bytes]:
        """Name and bytes of every document part (not docProps, content types, root rels)."""
        with _open(path) as zf:
            for name in sorted(zf.namelist()):
                if name.startswith("docProps/") or name in (_TYPES, _RELS) or name.endswith("/"):
                    continue
                yield f"{name}\n".encode()
                try:
                    with zf.open(name) as fh:
                        while piece := fh.read(1 << 20):
                            yield piece
                except _ZIP_ERRORS as exc:
                    raise fail(path, "office", f"cannot read {name} ({exc})") from None


CARRIER = OfficeCarrier()
