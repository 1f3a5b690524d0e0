"""The XML scanning of the XMP and Office carriers: the same results as the regular
expressions that define them, in time linear in the input (those expressions searched to
the end of the input from every unclosed opening tag, or from every position of a run of
white space)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.label.carriers import _xmp, office
from aisec.label.carriers.base import XMP_ELEMENT, XMP_NAMESPACE

_PROP = re.compile(r"""<property\b[^>]*\bname\s*=\s*(["'])AIGC\1[^>]*>(.*?)</property\s*>""", re.S)
_VALUE = re.compile(r"<vt:lpwstr>(.*?)</vt:lpwstr>|<vt:lpwstr\s*/>", re.S)
OFFICE_PARTS = [
    '<property fmtid="x" pid="2" name="AIGC">',
    "<property name='AIGC' x>",
    '<property name="Other">',
    "</property>",
    "</property >",
    "<vt:lpwstr>",
    "</vt:lpwstr>",
    "<vt:lpwstr/>",
    "<vt:lpwstr />",
    "<vt:lpwstr >",
    "abc",
    " ",
    "\n",
]


@settings(max_examples=400)
@given(st.lists(st.sampled_from(OFFICE_PARTS), max_size=14).map("".join))
def test_office_properties_are_the_regex_definition(text: str) -> None:
    expected = [(m.start(), m.end(), m.group(2)) for m in _PROP.finditer(text)]
    assert list(office._aigc_properties(text)) == expected
    for _s, _e, inner in expected:
        v = _VALUE.search(inner)
        assert office._string_value(inner) == (None if v is None else v.group(1) or "")


def _strip_by_regex(packet: bytes) -> bytes:
    for prefix in {m.group(1) for m in _xmp._NS_DECL.finditer(packet)}:
        p = re.escape(prefix) + rb":" + XMP_ELEMENT.encode()
        packet = re.sub(rb"\s*<" + p + rb"\b[^>]*?/>", b"", packet)
        packet = re.sub(rb"\s*<" + p + rb"\b[^>]*>.*?</" + p + rb"\s*>", b"", packet, flags=re.S)
        packet = re.sub(rb"""\s+""" + p + rb"""\s*=\s*(?:"[^"]*"|'[^']*')""", b"", packet)
    empty = re.compile(
        rb"""\s*<([A-Za-z_][\w.-]*):Description((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*"""
        rb"""(?:/>|>\s*</\1:Description\s*>)"""
    )

    def drop_empty(m: re.Match[bytes]) -> bytes:
        declares_ours = XMP_NAMESPACE.encode() in m.group(2)
        return b"" if declares_ours and _xmp._only_about_and_ns(m.group(2)) else m.group(0)

    return empty.sub(drop_empty, packet)


XMP_PARTS = [
    f' xmlns:a="{XMP_NAMESPACE}"',
    f" xmlns:b='{XMP_NAMESPACE}'",
    f"<a:{XMP_ELEMENT}>",
    f"</a:{XMP_ELEMENT}>",
    f"</a:{XMP_ELEMENT} >",
    f'<a:{XMP_ELEMENT} x="1"/>',
    f"<b:{XMP_ELEMENT}/>",
    f' a:{XMP_ELEMENT}="v"',
    f"<a:{XMP_ELEMENT}X>",
    "<rdf:Description",
    '<rdf:Description rdf:about=""',
    ">",
    "/>",
    "</rdf:Description>",
    " ",
    "\n\t",
    "text",
]


@settings(max_examples=400)
@given(st.lists(st.sampled_from(XMP_PARTS), max_size=16).map(lambda p: "".join(p).encode()))
def test_xmp_label_stripping_is_the_regex_definition(packet: bytes) -> None:
    assert _xmp._strip_labels(packet) == _strip_by_regex(packet)


def test_long_padding_and_unclosed_tags() -> None:
    # 200,000 bytes of padding and 20,000 unclosed label openings: minutes before
    packet = (
        f'<x:xmpmeta xmlns:a="{XMP_NAMESPACE}">'.encode()
        + b" " * 200_000
        + f"<a:{XMP_ELEMENT}>".encode() * 20_000
        + b"</x:xmpmeta>"
    )
    assert _xmp._strip_labels(packet) == packet
    custom = '<property name="AIGC">' * 20_000 + "<vt:lpwstr>" * 20_000
    assert list(office._aigc_properties(custom)) == []
