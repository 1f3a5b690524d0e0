"""The keyword library: versioned, categorised terms mapped to GB/T 45654 risks.

- `Term`, `Lexicon`: the data; `load_builtin` gives the library shipped in the rule pack.
- `read_lexicon` / `write_lexicon`: user libraries as plain lists, CSV or JSON.
- `coverage`: the library against the GB/T 45654 figures (``aisec lexicon stats``).
- `LexiconDetector` (registered as ``lexicon``): hits as ``risk.<code>`` findings.
"""

from aisec.detect.lexicon.detector import LexiconDetector, compiled_index
from aisec.detect.lexicon.files import FORMATS, read_lexicon, render_lexicon, write_lexicon
from aisec.detect.lexicon.model import (
    Coverage,
    Lexicon,
    Term,
    coverage,
    load_builtin,
    match_key,
    validate_term,
)

__all__ = [
    "FORMATS",
    "Coverage",
    "Lexicon",
    "LexiconDetector",
    "Term",
    "compiled_index",
    "coverage",
    "load_builtin",
    "match_key",
    "read_lexicon",
    "render_lexicon",
    "validate_term",
    "write_lexicon",
]
