"""Explicit notices in text: insert one at the start and/or end, and check for one.

The rule the checker applies (GB 45438 §4.1 asks for a notice at the start, end or a
suitable place in the middle, and the requirement here reads "contains AI/人工智能 and
生成/合成"):

* a **notice line** is one line that contains an AI term — ``AI`` as a word (not inside
  ``MAIL``), ``人工智能`` or ``artificial intelligence`` — *and* a generation term —
  ``生成``, ``合成``, or in English ``generated`` / ``synthesized`` / ``synthesised``;
* the verdict is ``compliant`` when a notice line is among the first or the last
  :data:`NEAR_LINES` non-blank lines of the body (Markdown: after the front matter);
* ``noncompliant`` when notice lines exist only further inside the text (present, but
  not where a reader meets it first or last);
* ``not_found`` when there is none; ``inconclusive`` when the file is not readable text.

English-only wording is accepted with a note: the standard is written for Chinese text.
"""

from __future__ import annotations

import re
from pathlib import Path

from aisec.label.explicit._common import (
    COMPLIANT,
    INCONCLUSIVE,
    NONCOMPLIANT,
    NOT_FOUND,
    NoticeCheck,
    NoticeError,
    NoticeResult,
    carry_implicit_label,
    commit,
    temp_beside,
)
from aisec.label.sign import SigningKey
from aisec.notice import DEFAULT_NOTICE, is_chinese_notice, is_notice

TEXT_EXTENSIONS = (".txt", ".text")
MARKDOWN_EXTENSIONS = (".md", ".markdown")
#: How many non-blank lines at each end count as "near the start or end".
NEAR_LINES = 3
_MAX_SIZE = 64 << 20

_FRONT = re.compile(r"\A(\ufeff?)---[ \t]*\r?\n.*?^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M | re.S)


def _load(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > _MAX_SIZE:
            raise NoticeError(f"{path}: {size} bytes is too large for a text notice")
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise NoticeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise NoticeError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was changed"
        ) from None


def _split_front(text: str, markdown: bool) -> tuple[str, str]:
    """(front matter including its fences, or a bare BOM, or ""; body)."""
    if markdown:
        m = _FRONT.match(text)
        if m is not None:
            return text[: m.end()], text[m.end() :]
    if text.startswith("\ufeff"):
        return "\ufeff", text[1:]
    return "", text


def _near_lines(body: str) -> tuple[list[str], list[str], list[str]]:
    """(first NEAR_LINES non-blank lines, last NEAR_LINES, all non-blank lines)."""
    lines = [x for x in body.splitlines() if x.strip()]
    return lines[:NEAR_LINES], lines[-NEAR_LINES:], lines


def check_text(path: Path) -> NoticeCheck:
    """Check a plain-text or Markdown file for a notice near its start or end."""
    result = NoticeCheck(path, "text", NOT_FOUND)
    try:
        text = _load(path)
    except NoticeError as exc:
        result.verdict, result.error = INCONCLUSIVE, True
        result.problems.append(str(exc))
        return result
    _, body = _split_front(text, path.suffix.lower() in MARKDOWN_EXTENSIONS)
    head, tail, lines = _near_lines(body)
    near = [("start", x) for x in head if is_notice(x)] + [("end", x) for x in tail if is_notice(x)]
    if near:
        result.verdict = COMPLIANT
        for where, line in dict.fromkeys(near):
            result.evidence.append(f"{where}: {line.strip()[:120]}")
        if not any(is_chinese_notice(line) for _, line in near):
            result.notes.append("English-only wording; GB 45438 is written for Chinese text")
        return result
    inside = [x for x in lines if is_notice(x)]
    if inside:
        result.verdict = NONCOMPLIANT
        result.evidence.append(f"inside: {inside[0].strip()[:120]}")
        result.problems.append(
            f"a notice is present but not within the first or last {NEAR_LINES} lines"
        )
    return result


def insert_text_notice(
    path: Path,
    *,
    notice: str | None = None,
    lang: str = "zh",
    where: str = "start",
    out: Path | None = None,
    key: SigningKey | None = None,
) -> NoticeResult:
    """Insert ``notice`` (default wording for ``lang``) at the ``start``, ``end`` or
    ``both`` of a text or Markdown file (after the front matter), atomically. A side that
    already carries a notice is left alone, so running twice changes nothing."""
    if where not in ("start", "end", "both"):
        raise NoticeError(f"--where {where!r}: use start, end or both")
    wording = notice if notice is not None else DEFAULT_NOTICE.get(lang)
    if wording is None:
        raise NoticeError(f"--lang {lang!r}: use one of {', '.join(DEFAULT_NOTICE)}")
    wording = wording.strip()
    if "\n" in wording or not is_notice(wording):
        raise NoticeError(
            f"notice {wording!r} must be one line containing AI/人工智能 and 生成/合成 "
            "(or generated/synthesized)"
        )
    text = _load(path)
    markdown = path.suffix.lower() in MARKDOWN_EXTENSIONS
    front, body = _split_front(text, markdown)
    nl = "\r\n" if "\r\n" in text[:4096] else "\n"
    head, tail, _ = _near_lines(body)
    inserted = False
    if where in ("start", "both") and not any(is_notice(x) for x in head):
        body = wording + nl + (nl if markdown and body.strip() else "") + body.lstrip("\r\n")
        inserted = True
    if where in ("end", "both") and not any(is_notice(x) for x in tail):
        body = body.rstrip("\r\n") + (nl + nl if body.strip() else "") + wording + nl
        inserted = True
    dst = out or path
    if not inserted:
        if out is not None and out != path:
            with temp_beside(dst, path.suffix) as tmp:
                tmp.write_bytes(path.read_bytes())
                commit(tmp, path, dst)
        return NoticeResult(dst, "text", False, ["a notice is already there"])
    notes: list[str] = []
    with temp_beside(dst, path.suffix) as tmp:
        tmp.write_bytes((front + body).encode("utf-8"))
        if markdown and front.strip():
            notes = carry_implicit_label(path, tmp, key)
        commit(tmp, path, dst)
    return NoticeResult(dst, "text", True, notes)
