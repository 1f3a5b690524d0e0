"""PDF: the document information entry ``/AIGC`` plus ``TC260:AIGC`` in the document's
XMP metadata stream.

Written with pikepdf (qpdf) as a full save that keeps every stream's bytes as they are
(no recompression, no content normalisation, object streams preserved, XMP left alone
apart from the label). A damaged file that qpdf would have to repair is refused rather
than silently rewritten.

Signatures cover the pages: every page dictionary and what it references (content
streams, fonts, images, annotations), serialised canonically with stream data decoded
from general-purpose filters (Flate, LZW, ASCII85 …; image codecs stay encoded), leaving
out ``/Parent`` links and page-level ``/Metadata``. Object numbers are not part of
it, so a save that renumbers objects keeps the digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisec.label.carriers import _xmp
from aisec.label.carriers._io import fail, lazy_module
from aisec.label.carriers.base import KEY, CarrierHit

if TYPE_CHECKING:
    import pikepdf
else:
    pikepdf = lazy_module("pikepdf")

_INFO_KEY = f"/{KEY}"
_SKIP_KEYS = frozenset({"/Parent", "/Metadata"})


def _open(path: Path, *, strict: bool) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise fail(path, "pdf", "the PDF is encrypted; decrypt it first") from None
    except (pikepdf.PikepdfError, OSError, ValueError) as exc:  # PdfError, QpdfRuntimeError
        raise fail(path, "pdf", f"cannot open ({exc})") from None
    warnings = pdf.get_warnings()
    if strict and warnings:
        pdf.close()
        raise fail(path, "pdf", f"damaged file ({warnings[0]}); repair it first")
    return pdf


def _xmp_bytes(pdf: pikepdf.Pdf, path: Path) -> bytes | None:
    meta = pdf.Root.get("/Metadata")
    if not isinstance(meta, pikepdf.Stream):
        return None
    try:
        data: bytes = meta.read_bytes()
    except pikepdf.PdfError as exc:
        raise fail(path, "pdf", f"the XMP metadata stream cannot be decoded ({exc})") from None
    return data


class PdfCarrier:
    """PDF Info ``/AIGC`` and XMP."""

    name = "pdf"
    extensions = (".pdf",)

    def sniff(self, head: bytes) -> bool:
        """``%PDF-`` header."""
        return head.startswith(b"%PDF-")

    def read(self, path: Path) -> list[CarrierHit]:
        """The Info entry, then the XMP labels."""
        with _open(path, strict=True) as pdf:
            hits: list[CarrierHit] = []
            info = pdf.trailer.get("/Info")
            if isinstance(info, pikepdf.Dictionary) and _INFO_KEY in info:
                hits.append(CarrierHit("pdf:info", str(info[_INFO_KEY])))
            packet = _xmp_bytes(pdf, path)
            if packet is not None:
                try:
                    hits.extend(CarrierHit("pdf:xmp", v) for v in _xmp.labels_in(packet))
                except _xmp.XmpError as exc:
                    raise fail(path, "pdf", str(exc)) from None
            return hits

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Save a copy with the Info entry and XMP label set (or removed)."""
        with _open(src, strict=True) as pdf:
            info = pdf.trailer.get("/Info")
            if payload is not None:
                pdf.docinfo[_INFO_KEY] = pikepdf.String(payload)
            elif isinstance(info, pikepdf.Dictionary) and _INFO_KEY in info:
                del info[_INFO_KEY]
            old = _xmp_bytes(pdf, src)
            try:
                new = _xmp.merge(old, payload)
            except _xmp.XmpError as exc:
                raise fail(src, "pdf", str(exc)) from None
            if new is None:
                if old is not None:
                    del pdf.Root["/Metadata"]
            elif old is None:
                stream = pdf.make_stream(new)
                stream["/Type"] = pikepdf.Name("/Metadata")
                stream["/Subtype"] = pikepdf.Name("/XML")
                pdf.Root["/Metadata"] = stream
            elif new != old:
                pdf.Root["/Metadata"].write(new)
            try:
                pdf.save(
                    dst,
                    compress_streams=False,
                    stream_decode_level=pikepdf.StreamDecodeLevel.none,
                    object_stream_mode=pikepdf.ObjectStreamMode.preserve,
                    normalize_content=False,
                    linearize=False,
                    fix_metadata_version=False,
                    deterministic_id=True,
                )
            except (pikepdf.PdfError, OSError) as exc:
                raise fail(src, "pdf", f"cannot save ({exc})") from None

    def content(self, path: Path) -> Iterator[bytes]:
        """Canonical bytes of every page and what it references, page by page."""
        with _open(path, strict=True) as pdf:
            seen: dict[tuple[int, int], int] = {}
            try:
                for number, page in enumerate(pdf.pages):
                    yield f"page {number}\n".encode()
                    yield from _canonical(page.obj, seen)
            except pikepdf.PikepdfError as exc:
                raise fail(path, "pdf", f"damaged page tree or page object ({exc})") from None


class _Child:
    """What :func:`_node` yields for an object to serialise in its place."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _canonical(obj: Any, seen: dict[tuple[int, int], int]) -> Iterator[bytes]:
    """A stable serialisation of a PDF object graph (cycles become back-references),
    walked with a stack of its own: a chain of objects thousands deep (which a few KB of
    PDF can make) would otherwise exhaust Python's stack."""
    stack = [_node(obj, seen)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, _Child):
            stack.append(_node(item.obj, seen))
        else:
            yield item


def _name(name: str) -> bytes:
    """A dictionary key as bytes (pikepdf gives undecodable bytes as surrogates)."""
    return name.encode("utf-8", "surrogateescape")


def _node(obj: Any, seen: dict[tuple[int, int], int]) -> Iterator[bytes | _Child]:
    """One object's serialisation, with a :class:`_Child` where each child goes."""
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        key = obj.objgen
        if key in seen:
            yield f"@{seen[key]}".encode()
            return
        seen[key] = len(seen)
    if isinstance(obj, pikepdf.Stream):
        # the decoded data (general filters such as Flate undone; image codecs kept), so
        # that a writer re-encoding a stream — qpdf drops the filter of an empty one — does
        # not change the digest; streams it cannot decode count with their stored bytes
        try:
            data = obj.read_bytes()
            skip = {"/Length", "/Filter", "/DecodeParms", *_SKIP_KEYS}
        except pikepdf.PdfError:
            data = obj.read_raw_bytes()
            skip = {"/Length", *_SKIP_KEYS}
        yield b"stream<<"
        for k in sorted(obj.keys()):
            if k not in skip:
                yield _name(k) + b" "
                yield _Child(obj[k])
        yield f">>{len(data)}:".encode()
        yield data
    elif isinstance(obj, pikepdf.Dictionary):
        yield b"<<"
        for k in sorted(obj.keys()):
            if k not in _SKIP_KEYS:
                yield _name(k) + b" "
                yield _Child(obj[k])
        yield b">>"
    elif isinstance(obj, pikepdf.Array):
        yield b"["
        for item in obj:
            yield _Child(item)
        yield b"]"
    elif isinstance(obj, pikepdf.Name):
        try:
            yield str(obj).encode() + b" "
        except UnicodeDecodeError:  # not UTF-8: its PDF syntax (#xx escapes) instead
            yield obj.unparse() + b" "
    elif isinstance(obj, pikepdf.String):
        data = bytes(obj)
        yield f"({len(data)}:".encode() + data + b")"
    elif isinstance(obj, bool | int | Decimal | float):
        yield repr(obj).encode() + b" "
    elif obj is None:
        yield b"null "
    else:
        yield repr(obj).encode() + b" "


CARRIER = PdfCarrier()
