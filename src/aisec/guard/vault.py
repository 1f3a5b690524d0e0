"""`TokenVault`: reversible redaction of a user's personal data, one request at a time.

On the way in each personal value the policy says to redact is replaced by a short
placeholder that names its kind and a number, ``<手机号_1>``; the same value gets the
same placeholder throughout the request. The vault — placeholder → original — stays in
the guard's memory and is never sent anywhere or logged; on the way out every
placeholder the model repeated is swapped back. Short placeholders (rather than
``redact:encrypt`` tokens) are what models copy faithfully.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field

_PLACEHOLDER = re.compile(r"<[^<>\s]{1,24}_\d{1,5}>")
#: what a label loses in a placeholder
_UNSAFE = re.compile(r"[<>\s_]")
#: the longest placeholder text, for streaming restoration
MAX_PLACEHOLDER = 32


#: the first number of a continued conversation's placeholders is drawn from here
#: (`TokenVault.apart`): far from 1, where a conversation's first request starts
APART = (1000, 9000)


@dataclass
class TokenVault:
    """Placeholders of one request and the values they stand for; numbered from
    ``first``."""

    by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    by_token: dict[str, str] = field(default_factory=dict)
    first: int = 1

    @classmethod
    def apart(cls) -> TokenVault:
        """A vault for a request whose earlier turns the upstream keeps (the Responses
        API's ``previous_response_id`` or ``conversation``): they hold placeholders of
        earlier requests, whose values this one does not know. Numbered from a random
        point in `APART`, its placeholders are not theirs, so one the model repeats from
        an earlier turn is left as it is rather than given this request's value."""
        low, high = APART
        return cls(first=low + secrets.randbelow(high - low))

    def token_for(self, kind: str, label: str, value: str) -> str:
        """The placeholder of ``value`` (a new one the first time it is seen)."""
        key = (kind, value)
        token = self.by_value.get(key)
        if token is None:
            safe = _UNSAFE.sub("", label)[:20] or "PII"
            token = f"<{safe}_{self.first + len(self.by_token)}>"
            self.by_value[key] = token
            self.by_token[token] = value
        return token

    def __len__(self) -> int:
        return len(self.by_token)

    def to_json(self) -> bytes:
        """The vault as JSON (for `aisec.guard.vaults`, which encrypts it): the first
        number, and each placeholder with its kind and value, in the order given."""
        kinds = {token: kind for (kind, _value), token in self.by_value.items()}
        tokens = [[token, kinds[token], value] for token, value in self.by_token.items()]
        return json.dumps({"first": self.first, "tokens": tokens}, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> TokenVault:
        """A vault from `to_json`'s text; its next placeholder continues the numbering."""
        obj = json.loads(data)
        vault = cls(first=int(obj["first"]))
        for token, kind, value in obj["tokens"]:
            vault.by_token[str(token)] = str(value)
            vault.by_value[(str(kind), str(value))] = str(token)
        return vault

    def restore(self, text: str, *, json_string: bool = False) -> tuple[str, int]:
        """``text`` with every known placeholder replaced by its value, and the count.
        ``json_string``: ``text`` is JSON (a tool call's arguments), where a placeholder
        stands inside a string: each value goes in escaped as JSON string text."""
        if not self.by_token:
            return text, 0
        count = 0

        def swap(m: re.Match[str]) -> str:
            nonlocal count
            value = self.by_token.get(m.group(0))
            if value is None:
                return m.group(0)
            count += 1
            return json.dumps(value, ensure_ascii=False)[1:-1] if json_string else value

        return _PLACEHOLDER.sub(swap, text), count

    def safe_cut(self, text: str, end: int) -> int:
        """The largest cut point ``<= end`` that does not split a placeholder of ``text``
        (a ``<`` with no ``>`` yet, close enough to be the start of one)."""
        if not self.by_token:
            return end
        start = text.rfind("<", max(0, end - MAX_PLACEHOLDER), end)
        if start != -1 and text.find(">", start, end) == -1:
            return start
        return end
