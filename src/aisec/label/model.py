"""The GB 45438 implicit label: seven fields, validation, canonical JSON, tolerant parsing.

The label travels as the value of the metadata key ``AIGC``: a JSON object whose seven
string fields appear in this order::

    {"Label":"1","ContentProducer":"...","ProduceID":"...","ReservedCode1":"",
     "ContentPropagator":"","PropagateID":"","ReservedCode2":""}

aisec always *writes* that bare object, compact (no spaces), fields in the fixed order, so
the same label is always the same bytes. It *reads* the shapes found in the wild too: the
bare object, the object wrapped as ``{"AIGC": {...}}``, and either of those left
XML-escaped (``{&quot;Label&quot;:...``) by a tool that escaped it twice inside XMP;
:func:`parse_label` says which shape it found and what it had to tolerate.

Limits (GB 45438 sets none; these keep labels small enough for every carrier — a JPEG
APP1 segment holds 64 KiB, an MP4 ``ilst`` item or a Vorbis comment far more — while
leaving room for names, UUIDs and signatures):

* every field: printable ASCII only (0x20-0x7E), so it survives every carrier's encoding;
* ``Label``: exactly ``"1"`` (AI-generated), ``"2"`` (possibly) or ``"3"`` (suspected);
* ``ContentProducer`` and ``ContentPropagator``: at most 128 characters;
* ``ProduceID`` and ``PropagateID``: at most 256 characters;
* ``ReservedCode1`` and ``ReservedCode2``: at most 1024 characters (a signature with its
  public key takes about 210);
* ``ContentProducer`` and ``ProduceID`` must not be empty; a propagator ID needs a
  propagator and vice versa;
* the whole canonical JSON: at most 4096 bytes.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from aisec.errors import InputError
from aisec.io.records import TOO_DEEP, TooDeep, load_json
from aisec.uscc import USCC_ALPHABET, valid_uscc

#: The seven JSON keys, in the order GB 45438 gives them.
FIELD_NAMES: tuple[str, ...] = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
LABEL_VALUES: dict[str, str] = {
    "1": "AI-generated",
    "2": "possibly AI-generated",
    "3": "suspected AI-generated",
}
MAX_CODE = 128
MAX_ID = 256
MAX_RESERVED = 1024
MAX_JSON = 4096
_LIMITS = {
    "Label": 1,
    "ContentProducer": MAX_CODE,
    "ProduceID": MAX_ID,
    "ReservedCode1": MAX_RESERVED,
    "ContentPropagator": MAX_CODE,
    "PropagateID": MAX_ID,
    "ReservedCode2": MAX_RESERVED,
}


# The canonical JSON's size beyond the values: braces, names, quotes, colons, commas.
_JSON_OVERHEAD = 1 + sum(len(name) + 6 for name in FIELD_NAMES)
# The canonical text with no escapes in it (printable ASCII but `"` and `\`), which is
# what aisec writes: json.loads would give exactly the captured values.
_PLAIN = r"([ !#-\[\]-~]*)"
_CANONICAL = re.compile(r"\{" + ",".join(f'"{name}":"{_PLAIN}"' for name in FIELD_NAMES) + r"\}")


class LabelError(InputError):
    """A label's fields break GB 45438 (or aisec's size limits), or a text is not a label."""


def _printable(value: str) -> bool:
    # printable ASCII is exactly 0x20-0x7E
    return value.isascii() and value.isprintable()


def _quoted(value: str) -> str:
    """``value`` as a JSON string, for printable ASCII (where only ``"`` and ``\\`` need
    escaping): the same text as ``json.dumps(value)``, without the encoder's overhead."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class AigcLabel:
    """The seven GB 45438 fields; constructing one validates it (raises :class:`LabelError`)."""

    label: str
    content_producer: str
    produce_id: str
    reserved_code1: str = ""
    content_propagator: str = ""
    propagate_id: str = ""
    reserved_code2: str = ""

    def __post_init__(self) -> None:
        if _plainly_valid(self):
            return
        problems = label_problems(self.as_dict())
        if problems:
            raise LabelError("invalid AIGC label: " + "; ".join(problems))

    def as_dict(self) -> dict[str, str]:
        """The seven fields under their JSON names, in the standard order."""
        return {
            "Label": self.label,
            "ContentProducer": self.content_producer,
            "ProduceID": self.produce_id,
            "ReservedCode1": self.reserved_code1,
            "ContentPropagator": self.content_propagator,
            "PropagateID": self.propagate_id,
            "ReservedCode2": self.reserved_code2,
        }

    def to_json(self) -> str:
        """Canonical form: compact JSON, fixed field order, ASCII only (the same text as
        ``json.dumps(self.as_dict(), separators=(",", ":"), ensure_ascii=True)``; the
        fields are validated printable ASCII, so only quotes and backslashes are escaped)."""
        return (
            '{"Label":' + _quoted(self.label)
            + ',"ContentProducer":' + _quoted(self.content_producer)
            + ',"ProduceID":' + _quoted(self.produce_id)
            + ',"ReservedCode1":' + _quoted(self.reserved_code1)
            + ',"ContentPropagator":' + _quoted(self.content_propagator)
            + ',"PropagateID":' + _quoted(self.propagate_id)
            + ',"ReservedCode2":' + _quoted(self.reserved_code2)
            + "}"
        )  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> AigcLabel:
        """Build from the JSON names (missing optional fields are empty)."""
        values = [data.get(name, "") for name in FIELD_NAMES]
        return cls(*values)

    def with_fields(self, **changes: str) -> AigcLabel:
        """A copy with some fields changed (python names: ``reserved_code1=...``)."""
        return replace(self, **changes)

    def without_signatures(self) -> AigcLabel:
        """A copy with both reserved codes empty."""
        return replace(self, reserved_code1="", reserved_code2="")


def _plainly_valid(label: AigcLabel) -> bool:
    """True when :func:`label_problems` would find nothing, checked on all seven fields
    at once (labels are built for every file read or written); False means "look
    closer", not "invalid"."""
    try:  # str values only (as label_problems wants), else look closer
        text = "".join((
            label.label, label.content_producer, label.produce_id, label.reserved_code1,
            label.content_propagator, label.propagate_id, label.reserved_code2,
        ))  # fmt: skip
    except TypeError:
        return False
    return (
        text.isascii()
        and text.isprintable()
        and label.label in LABEL_VALUES
        and len(label.content_producer) <= MAX_CODE
        and len(label.produce_id) <= MAX_ID
        and len(label.reserved_code1) <= MAX_RESERVED
        and len(label.content_propagator) <= MAX_CODE
        and len(label.propagate_id) <= MAX_ID
        and len(label.reserved_code2) <= MAX_RESERVED
        and bool(label.content_producer.strip())
        and bool(label.produce_id.strip())
        and bool(label.content_propagator.strip()) == bool(label.propagate_id.strip())
        and _JSON_OVERHEAD + len(text) + text.count('"') + text.count("\\") <= MAX_JSON
    )


def label_problems(data: dict[str, str]) -> list[str]:
    """Every way the seven fields (JSON names) break the rules; empty when valid."""
    problems: list[str] = []
    for name in FIELD_NAMES:
        value = data.get(name, "")
        if not isinstance(value, str):
            problems.append(f"{name} must be a string")
            continue
        if not _printable(value):
            problems.append(f"{name} must be printable ASCII (0x20-0x7E)")
        if len(value) > _LIMITS[name]:
            problems.append(f"{name} is {len(value)} characters, the limit is {_LIMITS[name]}")
    label = data.get("Label", "")
    if label not in LABEL_VALUES:
        problems.append(f"Label must be one of 1, 2, 3 (got {label!r})")
    for name in ("ContentProducer", "ProduceID"):
        if not str(data.get(name, "")).strip():
            problems.append(f"{name} must not be empty")
    if bool(str(data.get("ContentPropagator", "")).strip()) != bool(
        str(data.get("PropagateID", "")).strip()
    ):
        problems.append("ContentPropagator and PropagateID must be given together")
    if not problems:
        if all(k in _LIMITS for k in data):  # names and printable ASCII: count, not encode
            size = 1 + sum(
                len(k) + len(v) + v.count('"') + v.count("\\") + 6 for k, v in data.items()
            )
        else:
            size = len(json.dumps(data, separators=(",", ":")))
        if size > MAX_JSON:
            problems.append(f"the label is {size} bytes as JSON, the limit is {MAX_JSON}")
    return problems


class LabelShape(StrEnum):
    """How a label was written in the file."""

    bare = "bare"  # {"Label":...}
    wrapped = "wrapped"  # {"AIGC":{"Label":...}}
    bare_escaped = "bare-xml-escaped"  # {&quot;Label&quot;:...}
    wrapped_escaped = "wrapped-xml-escaped"


@dataclass(frozen=True, slots=True)
class ParsedLabel:
    """A label read from a file, with the shape it had and what had to be tolerated."""

    label: AigcLabel
    shape: LabelShape
    notes: tuple[str, ...] = field(default=())
    canonical: bool = True  # the text was exactly the canonical JSON


def parse_label(text: str) -> ParsedLabel:
    """Read a label from any shape seen in the wild; :class:`LabelError` when it is none.

    Tolerated (and reported in ``notes``): surrounding white space, the ``{"AIGC": ...}``
    wrapper, XML escaping, missing optional fields, fields out of order, numbers where
    strings belong (``"Label": 1``). Not tolerated: invalid JSON, unknown fields, values
    that break :func:`label_problems`.
    """
    plain = _CANONICAL.fullmatch(text)
    if plain is not None:  # the canonical form: nothing to tolerate, nothing to note
        return ParsedLabel(AigcLabel(*plain.groups()), LabelShape.bare)
    raw = text.strip().lstrip("\ufeff")
    escaped = False
    if raw.startswith("{&quot;") or ("&quot;" in raw and '"' not in raw):
        raw = html.unescape(raw)
        escaped = True
    try:
        data: Any = load_json(raw)
    except json.JSONDecodeError as exc:
        raise LabelError(f"AIGC value is not JSON ({exc.msg} at character {exc.pos})") from None
    except TooDeep:
        raise LabelError(f"AIGC value is {TOO_DEEP}") from None
    wrapped = False
    if isinstance(data, dict) and set(data) == {"AIGC"}:
        inner = data["AIGC"]
        if isinstance(inner, str):  # a JSON string holding the object
            try:
                inner = load_json(inner)
            except ValueError:
                raise LabelError("AIGC wrapper holds a string that is not JSON") from None
        data, wrapped = inner, True
    if not isinstance(data, dict):
        raise LabelError(f"AIGC value must be a JSON object, got {type(data).__name__}")
    notes: list[str] = []
    unknown = [k for k in data if k not in FIELD_NAMES]
    if unknown:
        raise LabelError(f"AIGC object has unknown field(s): {', '.join(map(str, unknown))}")
    missing = [k for k in FIELD_NAMES if k not in data]
    if missing:
        notes.append(f"missing field(s) taken as empty: {', '.join(missing)}")
    present = [k for k in FIELD_NAMES if k in data]
    if list(data) != present:
        notes.append("fields are not in the GB 45438 order")
    values: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise LabelError(f"AIGC field {key} must be a string, got {type(value).__name__}")
        if isinstance(value, int):
            notes.append(f"field {key} is a number, read as a string")
        values[key] = str(value)
    label = AigcLabel.from_dict(values)  # validates: LabelError("invalid AIGC label: ...")
    shape = {
        (False, False): LabelShape.bare,
        (True, False): LabelShape.wrapped,
        (False, True): LabelShape.bare_escaped,
        (True, True): LabelShape.wrapped_escaped,
    }[(wrapped, escaped)]
    if wrapped:
        notes.append('wrapped as {"AIGC": {...}}')
    if escaped:
        notes.append("XML-escaped twice")
    return ParsedLabel(label, shape, tuple(notes), canonical=text == label.to_json())


# --- producer / propagator codes ------------------------------------------------------


def embedded_uscc(code: str) -> str | None:
    """The first valid 18-character unified social credit code (GB 32100) inside
    ``code``, or None."""
    upper = code.upper()
    for start in range(len(upper) - 17):
        window = upper[start : start + 18]
        if valid_uscc(window):
            return window
    return None


def entity_code_problems(code: str, *, require_uscc: bool = False) -> list[str]:
    """What is wrong with a ContentProducer / ContentPropagator code; empty when fine.

    GB 45438 accepts a name or a code. A code usually embeds the organisation's unified
    social credit code; when something in it looks like one (18 characters of the GB 32100
    alphabet with the region digits in place) but its check character is wrong, that is
    reported as a likely typo. ``require_uscc`` also rejects codes that embed none.
    """
    problems: list[str] = []
    if not code.strip():
        return ["the code is empty"]
    if not _printable(code):
        problems.append("the code must be printable ASCII")
    if len(code) > MAX_CODE:
        problems.append(f"the code is longer than {MAX_CODE} characters")
    if embedded_uscc(code) is not None:
        return problems
    upper = code.upper()
    lookalike = next(
        (
            upper[i : i + 18]
            for i in range(len(upper) - 17)
            if all(ch in USCC_ALPHABET for ch in upper[i : i + 18])
            and upper[i + 2 : i + 8].isdigit()
        ),
        None,
    )
    if lookalike is not None:
        problems.append(
            f"{lookalike} looks like a unified social credit code but its GB 32100 check "
            "character is wrong"
        )
    elif require_uscc:
        problems.append("the code embeds no unified social credit code (GB 32100, 18 characters)")
    return problems
