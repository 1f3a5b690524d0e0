"""Sample data shared by the label write-path tests."""

from __future__ import annotations

import random

from PIL import Image

USCC = "91350100M000100Y43"
OTHER_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    b'xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:CreatorTool>KeepMe</xmp:CreatorTool>'
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Random pixels: they compress badly, so even a small picture makes a large file."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))
