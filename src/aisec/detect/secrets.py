"""`SecretsDetector`: credentials in text (``secret.*`` kinds).

Secrets are matched on the ORIGINAL text: normalisation folds characters (full-width,
homoglyphs, case-like look-alikes) that are significant inside a key, so this detector sets
``uses_normalized = False`` and its offsets are into ``text.original``.

Two sorts of evidence, two score bands:

- structured (0.85–0.99): the value carries its own proof — a PEM armour line, a JWT
  header that decodes to JSON with ``alg``, a vendor prefix (``LTAI``, ``AKID``, ``AKIA``,
  ``ghp_``, ``sk-``), a GitHub CRC32 checksum;
- contextual (0.6–0.85): only the words around the value say it is a secret — a 30/32/40
  character string after ``AccessKeySecret``/``SecretKey``/``aws_secret_access_key`` or
  right after a key ID, a ``password=``/``密码：`` value, a URL ``user:pass@``, a bearer token.

Random-looking values must look random: Shannon entropy, character classes, no long
ascending runs (``123456``, ``abcdef``) and no placeholder words (``your``, ``xxxx``,
``example``, ``<…>``, ``${…}``). Values containing ``EXAMPLE`` — the vendors' documented
sample keys such as ``AKIAIOSFODNN7EXAMPLE`` — are published, not secret, and are not
reported. Contextual findings that overlap a structured one are dropped, and nothing is
reported inside a private-key block but the block itself.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import pairwise
from typing import Any, ClassVar

from aisec.detect.base import Detector, Finding, register
from aisec.io.records import load_json
from aisec.text import NormalizedText

#: (kind, start, end, score, structured)
_Hit = tuple[str, int, int, float, bool]

_PEM_BEGIN = re.compile(r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
# armour body: base64, line breaks (real or JSON-escaped), RFC 1421 headers; stops at -----
_PEM_BODY = re.compile(r"(?:[A-Za-z0-9+/=\s\\:,.]|-(?!----)){0,65536}")
_B64_CHAR = re.compile(r"[A-Za-z0-9+/]")

_JWT = re.compile(
    r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"
    r"(?![A-Za-z0-9_\-])"
)
_KEY_IDS = re.compile(
    r"(?<![A-Za-z0-9])(?:(?P<aliyun>LTAI[A-Za-z0-9]{12,20})|(?P<tencent>AKID[A-Za-z0-9]{32})"
    r"|(?P<aws>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}))(?![A-Za-z0-9])"
)
# a bare secret near a key ID or after a "secret" key: 30 (Alibaba), 32 (Tencent), 40 (AWS)
_SECRET_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/]{30,40}(?![A-Za-z0-9+/=_\-])")
_SECRET_CONTEXT = re.compile(
    r"(?i:secret)[A-Za-z0-9_.\- ]{0,20}[\"'\]]?[ \t]{0,3}(?:[:=：]|=>|:=)[ \t]{0,3}[\"'`]?"
    r"(?P<val>[A-Za-z0-9+/]{30,40})(?![A-Za-z0-9+/=_\-])"
)
_GITHUB = re.compile(
    r"(?<![A-Za-z0-9_])(?:(?P<classic>gh[pousr]_[A-Za-z0-9]{36,251})"
    r"|(?P<pat>github_pat_[A-Za-z0-9_]{50,251}))(?![A-Za-z0-9_])"
)
_LLM_KEY = re.compile(r"(?<![A-Za-z0-9_\-])sk-(?P<body>[A-Za-z0-9_\-]{20,512})(?![A-Za-z0-9_\-])")
_LLM_PREFIX = re.compile(r"(?:proj|ant(?:-api\d\d|-admin\d\d)?|svcacct|admin|or-v1)-")
_BEARER = re.compile(
    r"(?i:authorization)[\"']?[ \t]*[:=][ \t]*[\"']?(?i:bearer)[ \t]+"
    r"(?P<tok>[A-Za-z0-9._~+/\-]{20,1024}=*)"
)

_PW_KEYWORD = r"(?i:password|passwd|passphrase|pswd|(?<![a-z])pass|(?<![a-z])pwd)"
_PW_VALUE = (
    r"(?:(?P<q>[\"'`])(?P<qv>[^\"'`\r\n]{1,128})(?P=q)"
    r"|(?P<uv>(?:[^\s\"'`,;&，。；、）)\]}>]|&(?![A-Za-z_]\w*=)){1,128}))"
)
_PW_ASSIGN = re.compile(_PW_KEYWORD + r"[\"'\]]?[ \t]{0,3}(?:[:=：]|=>|:=)[ \t]{0,3}" + _PW_VALUE)
# prose: "密码是…", "口令：…", "my password is …" — values must contain a digit
_PW_PROSE = re.compile(
    r"(?:(?:密码|口令)(?:(?:是|为)[:：]?|[:：=])?[ \t]{0,2}"
    r"|(?i:password|passphrase|passcode)[ \t]+(?i:is|was)[ \t:]+)"
    r"(?:[\"'“「『](?P<qv>[!-~]{1,64}?)[\"'”」』]|(?P<uv>[!-~]{1,64}))"
)
_URL_CREDS = re.compile(
    r"(?i:[a-z][a-z0-9+.\-]{1,15})://(?P<user>[^\s:/@\"'<>]{1,64}):(?P<val>[^\s:/@\"'<>]{1,128})@"
)

_PLACEHOLDER_MARKS = (
    "your", "example", "placeholder", "changeme", "change_me", "dummy", "sample", "redacted",
    "xxxx", "****", "...", "…", "todo", "fixme", "<", ">", "${", "{{", "%s", "%(", "$(",
)  # fmt: skip
_PW_STOPWORDS = frozenset((
    "null", "none", "nil", "true", "false", "undefined", "required", "optional", "string",
    "str", "empty", "password", "passwd", "secret", "pass", "pwd", "hidden", "masked", "n/a",
    "na", "tbd", "value", "input", "default",
))  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_.]*")
_TRAILING_PUNCT = ".,;:?)]}'\""


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0.0 for an empty string)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _is_placeholder(value: str) -> bool:
    low = value.lower()
    return any(mark in low for mark in _PLACEHOLDER_MARKS) or len(set(low)) <= 1


def _looks_random(value: str, min_entropy: float) -> bool:
    """A machine-generated token: not a placeholder, varied, no long counting runs."""
    if _is_placeholder(value) or shannon_entropy(value) < min_entropy:
        return False
    steps = sum(1 for a, b in pairwise(value) if ord(b) - ord(a) == 1)
    if steps * 3 > len(value):  # "1234567890abcdef…", "abcdefghij…"
        return False
    return re.search(r"(.)\1{5}", value) is None


def _classes(value: str) -> int:
    return sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                any(c.isdigit() for c in value)))  # fmt: skip


def _b64url_json(segment: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return load_json(raw)
    except (ValueError, binascii.Error):
        return None


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def github_checksum_ok(token: str) -> bool:
    """True when a classic GitHub token's last six characters are the base62 CRC32 of
    the thirty random characters before them (GitHub's 2021 token format)."""
    body = token[4:]
    if len(body) != 36:
        return False
    crc = binascii.crc32(body[:30].encode("ascii"))
    digits = ""
    while crc:
        crc, r = divmod(crc, 62)
        digits = _B62[r] + digits
    return digits.rjust(6, "0") == body[30:]


def _private_keys(text: str) -> Iterator[_Hit]:
    for m in _PEM_BEGIN.finditer(text):
        body = _PEM_BODY.match(text, m.end())
        assert body is not None  # the body pattern also matches the empty string
        b64 = len(_B64_CHAR.findall(body.group()))
        end_line = f"-----END {m.group('label')}-----"
        if text.startswith(end_line, body.end()):
            if b64 >= 32 and shannon_entropy(body.group()) >= 3.5:
                yield ("secret.private_key", m.start(), body.end() + len(end_line), 0.99, True)
        elif b64 >= 40 and shannon_entropy(body.group()) >= 4.0:
            stop = len(body.group().rstrip().removesuffix("\\n").rstrip())
            yield ("secret.private_key", m.start(), body.start() + stop, 0.9, True)


def _jwts(text: str) -> Iterator[_Hit]:
    for m in _JWT.finditer(text):
        header, _, rest = m.group().partition(".")
        head = _b64url_json(header)
        if isinstance(head, dict) and "alg" in head:
            signed = not rest.endswith(".")
            yield ("secret.jwt", m.start(), m.end(), 0.95 if signed else 0.85, True)


_PAIRED = {"aliyun": ("secret.aliyun_access_key", 30), "tencent": ("secret.tencent_secret", 32),
           "aws": ("secret.aws_key", 40)}  # fmt: skip


def _key_ids(text: str) -> Iterator[_Hit]:
    for m in _KEY_IDS.finditer(text):
        family = m.lastgroup or ""
        kind, secret_len = _PAIRED[family]
        if not _looks_random(m.group()[4:], 2.5):
            continue
        yield (kind, m.start(), m.end(), 0.95, True)
        # the secret usually follows its ID within a line or two (SDK calls, config files)
        for t in _SECRET_TOKEN.finditer(text, m.end(), min(len(text), m.end() + 160)):
            value = t.group()
            if len(value) == secret_len and _secret_shape_ok(value):
                yield (kind, t.start(), t.end(), 0.8, False)
                break


def _secret_shape_ok(value: str) -> bool:
    # provider secrets are base62/base64: all three classes; hex digests and SHAs are not
    if len(value) != 40 and not value.isalnum():
        return False
    return _classes(value) == 3 and _looks_random(value, 3.5)


def _context_secrets(text: str) -> Iterator[_Hit]:
    for m in _SECRET_CONTEXT.finditer(text):
        value = m.group("val")
        if len(value) not in (30, 32, 40) or not _secret_shape_ok(value):
            continue
        near = text[max(0, m.start() - 80) : m.start("val")].lower()
        if len(value) == 40:
            kind, hinted = "secret.aws_key", "aws" in near or "amazon" in near
        elif len(value) == 30:
            squashed = re.sub(r"[\s_\-]", "", near)
            kind = "secret.aliyun_access_key"
            hinted = any(h in squashed for h in ("ali", "阿里", "accesskeysecret"))
        else:
            kind = "secret.tencent_secret"
            hinted = any(h in near for h in ("tencent", "qcloud", "腾讯"))
        yield (kind, m.start("val"), m.end("val"), 0.85 if hinted else 0.6, False)


def _github_tokens(text: str) -> Iterator[_Hit]:
    for m in _GITHUB.finditer(text):
        token = m.group()
        random_part = token[4:] if m.lastgroup == "classic" else token[11:]
        if not _looks_random(random_part, 3.0):
            continue
        score = 0.95  # fine-grained tokens: no published checksum
        if m.lastgroup == "classic":
            score = 0.99 if github_checksum_ok(token) else 0.9
        yield ("secret.github_token", m.start(), m.end(), score, True)


def _llm_key_ok(body: str) -> bool:
    body = _LLM_PREFIX.sub("", body, count=1)
    core = re.sub(r"[_\-]", "", body)
    # slugs such as "sk-learn-compatible-estimator" are short words between separators
    longest = max(len(part) for part in re.split(r"[_\-]", body))
    return (
        len(core) >= 20
        and longest >= 12
        and any(c.isdigit() for c in core)
        and any(c.isalpha() for c in core)
        and _looks_random(core, 3.2)
    )


def _llm_keys(text: str) -> Iterator[_Hit]:
    for m in _LLM_KEY.finditer(text):
        if _llm_key_ok(m.group("body")):
            yield ("secret.llm_api_key", m.start(), m.end(), 0.92, True)


def _bearer_tokens(text: str) -> Iterator[_Hit]:
    for m in _BEARER.finditer(text):
        tok = m.group("tok")
        core = re.sub(r"[._~+/=\-]", "", tok)
        digits = any(c.isdigit() for c in core)
        if len(core) >= 20 and _classes(core) >= 2 and digits and _looks_random(tok, 3.5):
            yield ("secret.llm_api_key", m.start("tok"), m.end("tok"), 0.7, False)


def _password_ok(value: str, *, quoted: bool, strict: bool, min_len: int = 6) -> bool:
    """A plausible password value, not a placeholder, variable or ordinary word."""
    low = value.lower()
    if not min_len <= len(value) <= 128 or low in _PW_STOPWORDS or _is_placeholder(value):
        return False
    if low.startswith(("$", "/", "~", "./", "os.", "process.env")) or "environ" in low:
        return False
    if strict and not any(c.isdigit() for c in value):
        return False
    if not quoted and ("(" in value or "[" in value or _IDENTIFIER.fullmatch(value)):
        return False  # code: a call, a subscript or a variable, not a literal
    return not (quoted and value.isalpha() and len(value) < 8)


def _password_score(value: str, base: float) -> float:
    symbols = any(not c.isalnum() for c in value)
    return min(0.9, base + 0.05 * (_classes(value) + symbols >= 3))


def _passwords(text: str) -> Iterator[_Hit]:
    for m in _PW_ASSIGN.finditer(text):
        group = "qv" if m.group("qv") is not None else "uv"
        value = m.group(group)
        if _password_ok(value, quoted=group == "qv", strict=False):
            base = 0.8 if group == "qv" else 0.75
            yield (
                "secret.password",
                m.start(group),
                m.end(group),
                _password_score(value, base),
                False,
            )
    for m in _PW_PROSE.finditer(text):
        group = "qv" if m.group("qv") is not None else "uv"
        value = m.group(group)
        if group == "uv":
            value = value.rstrip(_TRAILING_PUNCT)
        if _password_ok(value, quoted=True, strict=True):
            start = m.start(group)
            yield ("secret.password", start, start + len(value), _password_score(value, 0.7), False)


def _url_passwords(text: str) -> Iterator[_Hit]:
    for m in _URL_CREDS.finditer(text):
        value = m.group("val")
        if value != m.group("user") and _password_ok(value, quoted=True, strict=False, min_len=4):
            yield ("secret.password", m.start("val"), m.end("val"), 0.85, False)


def _cased(word: str) -> tuple[str, ...]:
    return (word, word.capitalize(), word.upper())


# Each family runs only when one of its literals occurs in the text. Plain substring tests
# cost microseconds on a prompt and a few ms per MB, so a text with no candidate costs
# almost nothing; the regexes run only on texts that might hold a secret.
_FAMILIES: tuple[tuple[tuple[str, ...], Callable[[str], Iterator[_Hit]]], ...] = (
    (("-----BEGIN ",), _private_keys),
    (("eyJ",), _jwts),
    (("LTAI", "AKID", "AKIA", "ASIA", "ABIA", "ACCA"), _key_ids),
    (_cased("secret"), _context_secrets),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), _github_tokens),
    (("sk-",), _llm_keys),
    (_cased("bearer"), _bearer_tokens),
    ((*_cased("pass"), *_cased("pwd"), *_cased("pswd"), "密码", "口令"), _passwords),
    (("://",), _url_passwords),
)
#: any literal of any family: one regex search tells a text with no candidate at all (most
#: texts) in a fraction of the time of the substring tests family by family
_ANY_TRIGGER = re.compile("|".join(re.escape(t) for triggers, _ in _FAMILIES for t in triggers))


def _resolve(hits: Iterable[_Hit]) -> list[_Hit]:
    """Structured hits win over contextual ones on overlap; nothing inside a key block."""
    strong = sorted((h for h in hits if h[4]), key=lambda h: (h[1], -h[2]))
    weak = sorted((h for h in hits if not h[4]), key=lambda h: -h[3])
    blocks = [h for h in strong if h[0] == "secret.private_key"]
    strong = [
        h for h in strong if h in blocks or not any(b[1] <= h[1] and h[2] <= b[2] for b in blocks)
    ]
    # disjoint union of the kept spans, for overlap tests by bisection
    starts: list[int] = []
    ends: list[int] = []
    for h in strong:
        if ends and h[1] < ends[-1]:
            ends[-1] = max(ends[-1], h[2])
        else:
            starts.append(h[1])
            ends.append(h[2])
    out = list(strong)
    for h in weak:
        i = bisect_right(starts, h[2] - 1) - 1
        if i >= 0 and ends[i] > h[1]:
            continue
        out.append(h)
        j = bisect_right(starts, h[1])
        starts.insert(j, h[1])
        ends.insert(j, h[2])
    return out


@register("secrets")
class SecretsDetector(Detector):
    """Credentials: private keys, JWTs, cloud access keys, GitHub tokens, LLM API keys and
    passwords, found on the original text (see the module docstring for the rules).

    ``only`` narrows the output to some ``secret.*`` kinds (all by default); other keyword
    options a policy may pass are accepted and ignored.
    """

    name: ClassVar[str] = "secrets"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("secret.",)
    uses_normalized: ClassVar[bool] = False

    def __init__(self, only: Iterable[str] | None = None, **_: Any) -> None:
        self._only = frozenset(only) if only is not None else None

    def find(self, text: NormalizedText) -> Iterable[Finding]:
        """Findings with offsets into ``text.original``."""
        raw = text.original
        if _ANY_TRIGGER.search(raw) is None:
            return []
        hits: list[_Hit] = []
        for triggers, scan in _FAMILIES:
            if any(t in raw for t in triggers):
                hits.extend(scan(raw))
        if not hits:
            return []
        return [
            Finding(kind, start, end, score, self.name, self.version)
            for kind, start, end, score, _ in sorted(_resolve(hits), key=lambda h: (h[1], -h[2]))
            if self._only is None or kind in self._only
        ]
