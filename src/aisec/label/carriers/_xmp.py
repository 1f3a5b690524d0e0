"""The label inside an XMP packet: element ``TC260:AIGC`` in namespace
``http://www.tc260.org.cn/ns/AIGC/1.0/``.

Other tools' XMP is kept byte for byte: the label is removed and inserted by editing the
packet's text (the ``rdf:Description`` aisec adds is its own), not by re-serialising the
XML, which would rename prefixes and reorder attributes. The result is then parsed to
check it is well-formed and carries exactly the intended label.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import AnyStr

from aisec.label.carriers.base import XMP_ELEMENT, XMP_NAMESPACE, XMP_PREFIX

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_TAG = f"{{{XMP_NAMESPACE}}}{XMP_ELEMENT}"
_NS = XMP_NAMESPACE.encode()
_NS_DECL = re.compile(
    rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']""" + re.escape(XMP_NAMESPACE.encode()) + rb"""["']"""
)
_RDF_CLOSE = re.compile(rb"</([A-Za-z_][\w.-]*):RDF\s*>")
# The element patterns take the white space before an element with it. They start only where
# a run of white space starts ((?<!\s)): from every position inside a run, ``\s*`` would scan
# the rest of it again (quadratic: half a second on 20 KB of XMP padding).
_EMPTY_DESC = re.compile(
    rb"""(?<!\s)\s*<([A-Za-z_][\w.-]*):Description((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*"""
    rb"""(?:/>|>\s*</\1:Description\s*>)"""
)
_ATTR = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"[^"]*"|'[^']*')""")


def escape(text: str) -> str:
    """XML character data: ``&``, ``<`` and ``>`` escaped, as ``xml.sax.saxutils.escape``
    does (that module imports urllib, a cost every run would pay at start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def unescape(text: str, entities: dict[str, str] | None = None) -> str:
    """The inverse, as ``xml.sax.saxutils.unescape`` (``entities``: more to undo)."""
    text = text.replace("&lt;", "<").replace("&gt;", ">")
    for entity, char in (entities or {}).items():
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


class XmpError(ValueError):
    """The packet cannot be parsed or edited safely (the caller names the file)."""


def _parse(packet: bytes) -> ET.Element:
    head = packet[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in packet.upper():
        raise XmpError("XMP packet declares a DTD or entities, which aisec refuses to expand")
    try:
        return ET.fromstring(packet)  # noqa: S314 - no DTD, so no entity expansion
    except ET.ParseError as exc:
        raise XmpError(f"XMP packet is not well-formed XML ({exc})") from None


def labels_in(packet: bytes) -> list[str]:
    """Every ``TC260:AIGC`` value in the packet (element text or attribute), in order."""
    if _NS not in packet:
        return []
    packet = packet.strip(b"\x00 \t\r\n")
    own = _own_packet_label(packet)
    if own is not None:
        return [own]
    root = _parse(packet)
    found: list[str] = []
    for elem in root.iter():
        if _TAG in elem.attrib:
            found.append(elem.attrib[_TAG])
        if elem.tag == _TAG:
            text = "".join(elem.itertext()).strip()
            found.append(text)
    return found


def new_packet(payload: str) -> bytes:
    """A minimal XMP packet holding only the label."""
    return _OWN_HEAD + escape(payload).encode("utf-8") + _OWN_TAIL


def _own_packet_label(packet: bytes) -> str | None:
    """The label of a packet exactly as :func:`new_packet` writes it, else None."""
    if not (packet.startswith(_OWN_HEAD) and packet.endswith(_OWN_TAIL)):
        return None
    if len(packet) < len(_OWN_HEAD) + len(_OWN_TAIL):
        return None
    text = packet[len(_OWN_HEAD) : len(packet) - len(_OWN_TAIL)]
    # printable ASCII, where every & starts one of the three escapes new_packet() makes
    if text.translate(None, _OWN_PLAIN).strip(b"&"):
        return None
    amps = text.count(b"&")
    if amps and amps != text.count(b"&amp;") + text.count(b"&lt;") + text.count(b"&gt;"):
        return None
    return (
        text.decode("ascii").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    ).strip()


def _description(rdf_prefix: str, payload: str) -> str:
    return (
        f'  <{rdf_prefix}:Description {rdf_prefix}:about="" '
        f'xmlns:{XMP_PREFIX}="{XMP_NAMESPACE}">\n'
        f"   <{XMP_PREFIX}:{XMP_ELEMENT}>{escape(payload)}</{XMP_PREFIX}:{XMP_ELEMENT}>\n"
        f"  </{rdf_prefix}:Description>\n"
    )


# The packet new_packet() writes, around the escaped label. Reading it back (and reading
# files aisec labelled) needs no XML parser: when a packet is exactly this text around
# printable ASCII character data (only &amp; &lt; &gt; escapes), the parser would return
# that text unescaped and stripped, so that is computed directly; anything else is parsed.
_OWN_HEAD, _OWN_TAIL = (
    part.encode("utf-8")
    for part in (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f' <rdf:RDF xmlns:rdf="{_RDF}">\n'
        f"{_description('rdf', '{}')}"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).split(f">{{}}</{XMP_PREFIX}:", 1)
)
_OWN_HEAD += b">"
_OWN_TAIL = f"</{XMP_PREFIX}:".encode() + _OWN_TAIL
_OWN_PLAIN = bytes(range(0x20, 0x7F)).translate(None, b"&<>")  # need no escaping


def _only_about_and_ns(attrs: bytes) -> bool:
    names = [m.group(1) for m in _ATTR.finditer(attrs)]
    return all(n.endswith(b":about") or n.startswith(b"xmlns:") for n in names)


def closed_elements(
    text: AnyStr, opening: re.Pattern[AnyStr], closing: re.Pattern[AnyStr]
) -> Iterator[tuple[re.Match[AnyStr], re.Match[AnyStr]]]:
    """``(opening, closing)`` of each element: what ``finditer`` of ``opening.*?closing``
    (DOTALL) finds, without its search to the end of the text from every opening that is
    never closed (quadratic: seconds on a few hundred KB of them)."""
    pos = 0
    while (m := opening.search(text, pos)) is not None:
        close = closing.search(text, m.end())
        if close is None:  # then no later opening is closed either
            return
        yield m, close
        pos = close.end()


def _drop_elements(packet: bytes, opening: re.Pattern[bytes], name: bytes) -> bytes:
    """``packet`` without each element that ``opening`` starts, up to the first closing tag
    of ``name`` after it (`closed_elements`)."""
    kept, pos = [], 0
    for m, close in closed_elements(packet, opening, re.compile(rb"</" + name + rb"\s*>")):
        kept.append(packet[pos : m.start()])
        pos = close.end()
    return b"".join(kept) + packet[pos:]


def _strip_labels(packet: bytes) -> bytes:
    for prefix in {m.group(1) for m in _NS_DECL.finditer(packet)}:
        p = re.escape(prefix) + rb":" + XMP_ELEMENT.encode()
        # [^<>]: a tag holds no "<", so an opening that is not a tag (in a comment or CDATA)
        # is not scanned on to the next ">" (quadratic: 16 s on 160 KB of them)
        packet = re.sub(rb"(?<!\s)\s*<" + p + rb"\b[^<>]*?/>", b"", packet)
        packet = _drop_elements(packet, re.compile(rb"(?<!\s)\s*<" + p + rb"\b[^>]*>"), p)
        packet = re.sub(rb"""(?<!\s)\s+""" + p + rb"""\s*=\s*(?:"[^"]*"|'[^']*')""", b"", packet)

    def drop_empty(m: re.Match[bytes]) -> bytes:
        declares_ours = XMP_NAMESPACE.encode() in m.group(2)
        return b"" if declares_ours and _only_about_and_ns(m.group(2)) else m.group(0)

    return _EMPTY_DESC.sub(drop_empty, packet)


def merge(packet: bytes | None, payload: str | None) -> bytes | None:
    """``packet`` with every label replaced by ``payload`` (removed when None).

    Returns None when nothing but aisec's own scaffolding would be left (the carrier then
    drops the packet), and a fresh packet when there was none or it held nothing but the
    label aisec wrote (so relabelling gives the same bytes as labelling once, and the
    result stays readable without an XML parser).
    """
    if packet is None or _own_packet_label(packet.strip(b"\x00 \t\r\n")) is not None:
        # none yet, or only aisec's own label in it: nothing of anyone else's to keep
        return None if payload is None else new_packet(payload)
    _parse(packet.strip(b"\x00 \t\r\n"))  # refuse to edit what is not XML
    edited = _strip_labels(packet)
    if payload is not None:
        close = _RDF_CLOSE.search(edited)
        if close is None:
            raise XmpError("XMP packet has no rdf:RDF element to add the label to")
        desc = _description(close.group(1).decode("ascii"), payload).encode("utf-8")
        edited = edited[: close.start()] + b"\n  " + desc.strip() + edited[close.start() :]
    elif b":Description" not in edited and _is_ours(edited):
        return None
    check = labels_in(edited) if XMP_NAMESPACE.encode() in edited else []
    if check != ([] if payload is None else [payload]):
        raise XmpError("could not edit the XMP packet safely (unexpected structure)")
    _parse(edited.strip(b"\x00 \t\r\n"))
    return edited


def _is_ours(packet: bytes) -> bool:
    """True when the packet holds nothing but an empty xmpmeta/RDF skeleton."""
    root = _parse(packet.strip(b"\x00 \t\r\n"))
    rdf = root if root.tag == f"{{{_RDF}}}RDF" else root.find(f"{{{_RDF}}}RDF")
    return rdf is not None and len(rdf) == 0 and len(root) <= 1
