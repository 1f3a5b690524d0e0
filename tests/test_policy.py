"""Policy loading, validation errors with line numbers, and action resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisec.detect.base import Finding
from aisec.errors import PolicyError
from aisec.policy import default_policy, load_policy, parse_policy


def test_default_policy_loads_and_resolves_specific_patterns_first() -> None:
    pol = default_policy()
    assert pol.action_for("pii.cn_id_card") == "redact:mask"
    assert pol.action_for("pii.email") == "redact:replace"
    assert pol.action_for("secret.aws_key") == "redact:replace"
    assert pol.action_for("risk.A1.4") == "flag"
    assert pol.threshold_for("pii.person_name") == 0.6
    assert pol.threshold_for("pii.email") == 0.5


def test_reaches_uses_threshold_and_allow() -> None:
    pol = parse_policy(
        "version: 1\nthresholds: {default: 0.5, pii.qq: 0.9}\nactions: {default: flag, pii.email: allow}\n"
    )
    f = Finding("pii.qq", 0, 5, 0.8, "pii.im", "1")
    assert not pol.reaches(f)
    assert pol.reaches(Finding("pii.qq", 0, 5, 0.95, "pii.im", "1"))
    assert not pol.reaches(Finding("pii.email", 0, 5, 0.99, "pii.email", "1"))


def test_risk_class_prefix_matches_its_risks() -> None:
    pol = parse_policy("version: 1\nactions: {default: flag, risk.A1.*: block, risk.A2: drop}\n")
    assert pol.action_for("risk.A1.4") == "block"
    assert pol.action_for("risk.A2.5") == "drop"
    assert pol.action_for("risk.A3.1") == "flag"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nactionz: {}\n", ":2: actionz: unknown key"),
        (
            "version: 1\nactions:\n  pii.*: redact:blur\n",
            ":3: actions.pii.*: unknown action 'redact:blur'",
        ),
        (
            "version: 1\nactions:\n  pii.nonsense: flag\n",
            "actions.pii.nonsense: unknown finding kind",
        ),
        ("version: 1\ndetectors:\n  telepathy: {}\n", "detectors.telepathy: unknown detector"),
        ("version: 1\nthresholds:\n  default: 1.5\n", ":3: thresholds.default"),
        ("version: 2\n", ":1: version"),
        ("- a\n- b\n", "a policy is a YAML mapping"),
        ("version: [\n", "not valid YAML"),
    ],
)
def test_errors_name_line_and_key(text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_missing_policy_file() -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(Path("/nonexistent/policy.yaml"))


def test_build_scanner_only_enabled_detectors() -> None:
    pol = parse_policy("version: 1\ndetectors:\n  pii: {}\n  secrets: {enabled: false}\n")
    names = [d.name for d in pol.build_detectors()]
    assert names == ["pii"]


def test_relative_lexicon_path_is_taken_from_the_policy_folder(tmp_path: Path) -> None:
    (tmp_path / "ours.csv").write_text("term,risk,weight\n内部机密词,A3.3,0.9\n", encoding="utf-8")
    pol = tmp_path / "policy.yaml"
    pol.write_text(
        "version: 1\ndetectors:\n  lexicon: {options: {extra: [ours.csv]}}\n", encoding="utf-8"
    )
    scanner = load_policy(pol).build_scanner()
    kinds = [f.kind for f in scanner.scan("这份文件含有内部机密词。").findings]
    assert kinds == ["risk.A3.3"]
