"""AigcLabel: validation, canonical JSON, tolerant parsing, producer codes."""

from __future__ import annotations

import html
import json

import pytest

from aisec.label.model import (
    FIELD_NAMES,
    AigcLabel,
    LabelError,
    LabelShape,
    embedded_uscc,
    entity_code_problems,
    parse_label,
)

USCC = "91350100M000100Y43"  # valid GB 32100 check character


def test_canonical_json_is_compact_and_ordered() -> None:
    label = AigcLabel("1", USCC, "id-1", content_propagator="P", propagate_id="p-1")
    text = label.to_json()
    assert " " not in text
    assert list(json.loads(text)) == list(FIELD_NAMES)
    assert text.startswith('{"Label":"1","ContentProducer":"91350100M000100Y43","ProduceID":"id-1"')
    assert AigcLabel.from_dict(json.loads(text)) == label


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label": "4"}, "Label must be one of"),
        ({"label": ""}, "Label must be one of"),
        ({"content_producer": ""}, "ContentProducer must not be empty"),
        ({"produce_id": "  "}, "ProduceID must not be empty"),
        ({"produce_id": "编号"}, "printable ASCII"),
        ({"produce_id": "a\nb"}, "printable ASCII"),
        ({"produce_id": "x" * 257}, "limit is 256"),
        ({"content_producer": "x" * 129}, "limit is 128"),
        ({"reserved_code1": "x" * 1025}, "limit is 1024"),
        ({"content_propagator": "P"}, "given together"),
    ],
)
def test_validation(kwargs: dict[str, str], message: str) -> None:
    values = {"label": "1", "content_producer": USCC, "produce_id": "id"} | kwargs
    with pytest.raises(LabelError, match=message):
        AigcLabel(**values)


def test_parse_shapes() -> None:
    label = AigcLabel("2", USCC, "id-9")
    bare = label.to_json()
    wrapped = json.dumps({"AIGC": label.as_dict()})
    cases = {
        bare: LabelShape.bare,
        wrapped: LabelShape.wrapped,
        html.escape(bare): LabelShape.bare_escaped,
        html.escape(wrapped): LabelShape.wrapped_escaped,
    }
    for text, shape in cases.items():
        parsed = parse_label(text)
        assert parsed.label == label
        assert parsed.shape is shape
    assert parse_label(bare).canonical and not parse_label(wrapped).canonical


def test_parse_tolerates_and_reports() -> None:
    parsed = parse_label(' {"ProduceID":"x","Label":1,"ContentProducer":"ACME"} ')
    assert parsed.label == AigcLabel("1", "ACME", "x")
    notes = " ".join(parsed.notes)
    assert "missing field(s)" in notes and "order" in notes and "number" in notes
    # a JSON string inside the wrapper
    inner = json.dumps(AigcLabel("1", "A", "B").to_json())
    assert parse_label('{"AIGC":' + inner + "}").shape is LabelShape.wrapped


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "JSON object"),
        ('{"Label":"1","ContentProducer":"A","ProduceID":"B","Extra":"x"}', "unknown field"),
        ('{"Label":"1","ContentProducer":"A","ProduceID":["B"]}', "must be a string"),
        ('{"Label":"5","ContentProducer":"A","ProduceID":"B"}', "Label must be one of"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"AIGC": "' + "[" * 100_000 + '"}', "not JSON"),
    ],
)
def test_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(LabelError, match=message):
        parse_label(text)


def test_entity_codes() -> None:
    assert embedded_uscc(USCC) == USCC
    assert embedded_uscc(f"0011{USCC}00000") == USCC
    assert entity_code_problems(f"0011{USCC}00000") == []
    assert entity_code_problems("ACME Generative AI Ltd") == []
    assert "embeds no" in entity_code_problems("ACME", require_uscc=True)[0]
    typo = USCC[:-1] + "4"
    assert "check character is wrong" in entity_code_problems(typo)[0]
    assert entity_code_problems("") == ["the code is empty"]
