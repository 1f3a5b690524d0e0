"""Text steps: `NormalizeStep` (rewrites) and `QualityStep` (keeps or drops).

Normalisation here changes the *output* text, so it is conservative: it repairs mojibake,
applies NFKC, removes zero-width characters, strips HTML and collapses white space. The
matching folds of `aisec.text.normalize` (traditional → simplified, homoglyphs) are not
written into the corpus; deduplication and the detectors apply them on their own copy.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import Any

from pydantic import Field

from aisec.clean.formats import Doc
from aisec.clean.steps.base import KEEP, Decision, RecordStep, StepParams
from aisec.clean.steps.charstats import char_stats

#: HTML to strip: a script or style element with its content, a comment, any other tag
#: (`strip_tags`)
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[a-zA-Z/!][^<>]{0,2000}>", re.S | re.I)
_OPENINGS = re.compile(r"<(script|style)\b|<!--", re.I)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b", re.I)
_END_OF = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style")}
_OTHER_TAG = re.compile(r"<[a-zA-Z/!][^<>]{0,2000}>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.I)
_CJK_PUNCT = re.compile("([\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff5e])")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANKS = re.compile(r"\n{3,}")
#: mojibake of UTF-8 read as Latin-1/cp1252: 'ä¸­æ–‡' for '中文'
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u2018-\u203a\u0152-\u0178\u02c6-\u02dc]")
#: a boilerplate line (`strip_boilerplate`)
_BOILERPLATE = re.compile(
    r"^[^\S\n]*(版权所有|copyright ©?|all rights reserved|点击(这里|此处)|扫码关注|分享到[:：]|"
    r"上一篇[:：]|下一篇[:：]|责任编辑[:：]|cookie|privacy policy|订阅我们).{0,80}$",
    re.I | re.M,
)


def strip_tags(text: str, by: str = "") -> str:
    """``text`` with every HTML script or style element (with its content), comment and other
    tag replaced by ``by`` (``_TAG.sub(by, text)``). That expression searches to the end of
    the text from every ``<script``, ``<style`` or ``<!--`` that is never closed (quadratic:
    1.3 s on 64 KB of them); such text goes through `_strip_tags_scan`, which gives the same
    result looking for each closing once, and all other text through the expression (five
    times faster on ordinary HTML)."""
    if "<" not in text:
        return text
    last: dict[str, int] = {}
    for m in _OPENINGS.finditer(text):
        last[(m.group(1) or "--").lower()] = m.end()
    for name, at in last.items():
        closed = text.find("-->", at) >= 0 if name == "--" else _END_OF[name].search(text, at)
        if not closed:
            return _strip_tags_scan(text, by)
    return _TAG.sub(by, text)


def _strip_tags_scan(text: str, by: str) -> str:
    """`strip_tags` for text with an unclosed element or comment, in linear time."""
    out: list[str] = []
    pos = done = 0
    unclosed: set[str] = set()  # closings not found after some point: none after any later
    n = len(text)
    while (i := text.find("<", pos)) >= 0:
        end = -1
        m = _SCRIPT_STYLE.match(text, i)
        if m is not None and (name := m.group(1).lower()) not in unclosed:
            close = _END_OF[name].search(text, m.end())
            if close is None:
                unclosed.add(name)
            else:
                end = close.end()
        if end < 0 and text.startswith("<!--", i) and "--" not in unclosed:
            close_at = text.find("-->", i + 4)
            if close_at < 0:
                unclosed.add("--")
            else:
                end = close_at + 3
        if end < 0 and (m := _OTHER_TAG.match(text, i)) is not None:
            end = m.end()
        if end < 0:
            pos = i + 1
            continue
        out.append(text[done:i])
        out.append(by)
        pos = done = end
    if not out:
        return text
    out.append(text[done:n])
    return "".join(out)


def strip_boilerplate(text: str) -> str:
    """``text`` without its boilerplate lines, each with the blank lines before it: what
    ``re.sub(r"^\\s*(…).{0,80}$", "", text, flags=re.I | re.M)`` gives. There ``\\s*``
    could run over line breaks, so it was tried from the start of every line of a run of
    blank lines to the end of the run (quadratic: 20 s for 20,000 blank lines); here a line
    is matched on its own and the match then takes the white space before it back to the
    first line start in it."""
    out: list[str] = []
    done = 0
    for m in _BOILERPLATE.finditer(text):
        start = m.start()
        while start > done and text[start - 1].isspace():
            start -= 1
        if start > 0 and text[start - 1] != "\n":  # back to the first line start in the run
            start = text.find("\n", start, m.start()) + 1 or m.start()
        out.append(text[done:start])
        done = m.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 decoded as Latin-1/cp1252, when the repair decodes cleanly."""
    if not _MOJIBAKE.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return fixed
    return text


class NormalizeParams(StepParams):
    """Parameters of `NormalizeStep`."""

    repair_encoding: bool = True
    nfkc: bool = True
    #: NFKC turns Chinese full-width punctuation (，！？：；（）) into ASCII; keep it
    keep_cjk_punctuation: bool = True
    strip_html: bool = True
    strip_boilerplate: bool = True
    whitespace: bool = True


class NormalizeStep(RecordStep):
    """Encoding repair, NFKC, HTML and boilerplate stripping, white space."""

    name = "normalize"
    version = "1"
    Params = NormalizeParams

    def clean(self, text: str) -> tuple[str, list[str]]:
        """The normalised text and the rules that changed it."""
        p: NormalizeParams = self.params
        fired: list[str] = []

        def apply(rule: str, new: str) -> None:
            nonlocal text
            if new != text:
                fired.append(rule)
                text = new

        if p.repair_encoding:
            apply("encoding", repair_mojibake(text))
        if p.strip_html and "<" in text:
            stripped = strip_tags(_BLOCK.sub("\n", text))
            apply("html", html.unescape(stripped) if stripped != text else text)
        if p.nfkc and not unicodedata.is_normalized("NFKC", text):
            if p.keep_cjk_punctuation:
                pieces = _CJK_PUNCT.split(text)
                apply(
                    "nfkc",
                    "".join(
                        x if i % 2 else unicodedata.normalize("NFKC", x)
                        for i, x in enumerate(pieces)
                    ),
                )
            else:
                apply("nfkc", unicodedata.normalize("NFKC", text))
        apply("zero_width", _ZERO_WIDTH.sub("", text))
        if p.strip_boilerplate:
            apply("boilerplate", strip_boilerplate(text))
        if p.whitespace:
            lines = [_SPACES.sub(" ", ln).strip() for ln in text.replace("\r\n", "\n").split("\n")]
            apply("whitespace", _BLANKS.sub("\n\n", "\n".join(lines)).strip())
        return text, fired

    def decide(self, doc: Doc) -> Decision:
        new: dict[str, str] = {}
        fired: list[str] = []
        for name, value in doc.parts.items():
            new[name], rules = self.clean(value)
            fired.extend(r for r in rules if r not in fired)
        if not fired:
            return KEEP
        return Decision(
            "modify",
            "+".join(fired),
            [
                {"id": f"normalize.{r}", "detector": "normalize", "version": self.version}
                for r in fired
            ],
            parts=new,
        )


class QualityParams(StepParams):
    """Parameters of `QualityStep` (thresholds in the Gopher/C4 tradition)."""

    min_chars: int = Field(20, ge=0)
    max_chars: int = Field(1_000_000, ge=1)
    min_letter_ratio: float = Field(
        0.5, ge=0.0, le=1.0, description="letters+CJK+digits / non-space"
    )
    max_symbol_ratio: float = Field(0.3, ge=0.0, le=1.0)
    max_dup_line_ratio: float = Field(0.3, ge=0.0, le=1.0)
    max_dup_para_ratio: float = Field(0.3, ge=0.0, le=1.0)
    max_top_ngram_ratio: float = Field(0.2, ge=0.0, le=1.0, description="top char 4-gram share")
    max_garbled_ratio: float = Field(0.05, ge=0.0, le=1.0)
    languages: list[str] | None = Field(default_factory=lambda: ["zh", "en"])
    min_language_chars: int = Field(30, ge=1, description="shorter texts skip the language check")


_LANGS = ("zh", "en", "ja", "ko", "fr", "de", "es", "ru", "pt", "it", "ar", "vi")


@lru_cache(maxsize=4)
def _detector(langs: tuple[str, ...]) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in sorted(set(langs) | set(_LANGS))]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


class QualityStep(RecordStep):
    """Drops texts too short or long, mostly symbols, repetitive, garbled or in a language
    not asked for; the reason names the test that failed."""

    name = "quality"
    version = "1"
    Params = QualityParams

    def decide(self, doc: Doc) -> Decision:
        text = doc.text
        reason, score = self.check(text)
        if reason is None:
            return KEEP
        return Decision(
            "drop",
            reason,
            [{"id": f"quality.{reason}", "detector": "quality", "version": self.version}],
            score=score,
        )

    def check(self, text: str) -> tuple[str | None, float | None]:
        """The first failed test and its measured value, or ``(None, None)``."""
        p: QualityParams = self.params
        n = len(text)
        if n < p.min_chars:
            return "too_short", float(n)
        if n > p.max_chars:
            return "too_long", float(n)
        stats = char_stats(text)
        if not stats.dense:
            return "too_short", 0.0
        if stats.garbled > p.max_garbled_ratio:
            return "garbled", stats.garbled
        if stats.letters < p.min_letter_ratio:
            return "low_letter_ratio", stats.letters
        if stats.symbols > p.max_symbol_ratio:
            return "symbol_ratio", stats.symbols
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        if len(lines) >= 3:
            dup = 1 - len(set(lines)) / len(lines)
            if dup > p.max_dup_line_ratio:
                return "repeated_lines", dup
        paras = [pa.strip() for pa in re.split(r"\n\s*\n", text) if pa.strip()]
        if len(paras) >= 3:
            dup = 1 - len(set(paras)) / len(paras)
            if dup > p.max_dup_para_ratio:
                return "repeated_paragraphs", dup
        if stats.top_4gram > p.max_top_ngram_ratio:
            return "repeated_ngrams", stats.top_4gram
        if p.languages and stats.dense >= p.min_language_chars:
            if stats.plainly_chinese:
                code = "zh"
            else:
                lang = _detector(tuple(p.languages)).detect_language_of(text[:2000])
                code = lang.iso_code_639_1.name.lower() if lang is not None else "unknown"
            if code not in p.languages:
                return f"language.{code}", None
        return None, None
