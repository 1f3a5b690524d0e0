"""`Policy`: which detectors run, score thresholds, and the action per finding kind.

One YAML file drives scanning, cleaning, guarding and the user-side check::

    version: 1
    name: default
    detectors:
      pii: {}
      secrets: {}
      lexicon: {options: {extra: [my_terms.csv]}}
    thresholds: {default: 0.5, pii.person_name: 0.7}
    actions:
      default: flag
      pii.*: redact:replace
      pii.cn_id_card: redact:mask
      secret.*: redact:replace
      risk.A1.*: block

Kind patterns are exact kinds (``pii.cn_id_card``), prefixes with a wildcard
(``pii.*``, ``risk.A1.*``) or ``default``; the most specific pattern wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aisec.detect.base import Detector, Finding, registered
from aisec.detect.scanner import Scanner
from aisec.errors import PolicyError
from aisec.taxonomy import DEFAULT_PACK, load_taxonomy

Action = Literal[
    "allow",
    "flag",
    "redact:mask",
    "redact:replace",
    "redact:pseudonym",
    "redact:encrypt",
    "drop",
    "block",
]
ACTIONS: tuple[str, ...] = get_args(Action)


BUILTIN_DETECTORS = ("pii", "secrets", "lexicon")


def _default_actions() -> dict[str, Action]:
    return {"default": "flag"}


class DetectorConfig(BaseModel):
    """One detector in a policy: on/off and constructor options."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)


class RedactionConfig(BaseModel):
    """Where redaction keys come from and how replaced values are labelled."""

    model_config = ConfigDict(extra="forbid")
    key_env: str = "AISEC_KEY"
    labels: dict[str, str] = Field(default_factory=dict)


class Policy(BaseModel):
    """A validated policy; load with `load_policy`."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    name: str = "default"
    pack: str = DEFAULT_PACK
    #: detectors by registered name; a policy that names none runs all built-in ones
    detectors: dict[str, DetectorConfig] = Field(
        default_factory=lambda: {name: DetectorConfig() for name in BUILTIN_DETECTORS}
    )
    thresholds: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=lambda: {"default": 0.5}
    )
    actions: dict[str, Action] = Field(default_factory=lambda: _default_actions())
    redaction: RedactionConfig = Field(default_factory=RedactionConfig)
    #: settings of the guard face, validated by `aisec.guard.config` (the core only carries them)
    guard: dict[str, Any] = Field(default_factory=dict)
    #: the folder relative paths in detector options are resolved against
    base_dir: Path | None = Field(default=None, exclude=True)

    def _check_kinds(self) -> None:
        tax = load_taxonomy(self.pack)
        known = registered()
        for name in self.detectors:
            if name not in known:
                raise PolicyError(
                    f"detectors.{name}: unknown detector (known: {', '.join(sorted(known))})"
                )
        for section in ("thresholds", "actions"):
            for pattern in getattr(self, section):
                if pattern in ("default", "*"):
                    continue
                if not tax.is_known(pattern):
                    raise PolicyError(
                        f"{section}.{pattern}: unknown finding kind "
                        "(use a kind such as pii.cn_mobile, a prefix such as pii.* or risk.A1.*, "
                        "or default)"
                    )

    @staticmethod
    def _lookup(table: dict[str, Any], kind: str) -> Any:
        """The entry of the most specific pattern for ``kind``: the kind itself, then for
        each prefix before a dot, longest first, ``prefix.*`` and ``prefix``, then
        ``default`` (or ``*``). Looked up afresh at every call (a policy is mutable)."""
        if kind in table:
            return table[kind]
        end = kind.rfind(".")
        while end >= 0:  # the prefixes "a.b", "a" of "a.b.c", without split and join
            prefix = kind[:end]
            star = prefix + ".*"
            if star in table:
                return table[star]
            if prefix in table:
                return table[prefix]
            end = kind.rfind(".", 0, end)
        return table.get("default", table.get("*"))

    def action_for(self, kind: str) -> Action:
        """The action of the most specific pattern that matches ``kind``."""
        action = self._lookup(self.actions, kind)
        return action if action is not None else "flag"

    def threshold_for(self, kind: str) -> float:
        """The minimum score at which a finding of ``kind`` counts."""
        value = self._lookup(self.thresholds, kind)
        return float(value) if value is not None else 0.5

    def reaches(self, finding: Finding) -> bool:
        """True when a finding is at or above its threshold and its action is not ``allow``."""
        return (
            finding.score >= self.threshold_for(finding.kind)
            and self.action_for(finding.kind) != "allow"
        )

    def build_detectors(self) -> list[Detector]:
        """Construct the enabled detectors with their options."""
        factories = registered()
        out: list[Detector] = []
        for name, cfg in self.detectors.items():
            if not cfg.enabled:
                continue
            options = dict(cfg.options)
            if self.base_dir is not None:
                options.setdefault("base_dir", self.base_dir)
            try:
                out.append(factories[name](**options))
            except (TypeError, ValueError) as exc:
                raise PolicyError(f"detectors.{name}.options: {exc}") from exc
        return out

    def build_scanner(self) -> Scanner:
        """A `Scanner` with this policy's detectors."""
        return Scanner(self.build_detectors())


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location."""
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if key.value == str(part):
                line = key.start_mark.line + 1
                node = value
                break
        else:
            break
    return line


def parse_policy(text: str, *, source: str = "<policy>", base_dir: Path | None = None) -> Policy:
    """Validate a policy given as YAML text; errors name the line and the key."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(
            f"{source}: a policy is a YAML mapping (key: value), not {type(data).__name__}"
        )
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if isinstance(p, (str, int))]
        where = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(root, loc)
        at = f"{source}:{line}" if line else source
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "literal_error" and loc and loc[0] == "actions":
            msg = f"unknown action {err.get('input')!r} (expected one of: {', '.join(ACTIONS)})"
        raise PolicyError(f"{at}: {where}: {msg}") from exc
    policy.base_dir = base_dir
    try:
        policy._check_kinds()
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from exc
    return policy


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a policy file, or the built-in default policy when ``path`` is ``None``."""
    if path is None:
        return default_policy()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PolicyError(f"policy file not found: {p}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {p}: {exc}") from exc
    return parse_policy(text, source=str(p), base_dir=p.resolve().parent)


@lru_cache(maxsize=1)
def default_policy_text() -> str:
    """The YAML of the built-in default policy."""
    return resources.files("aisec.packs").joinpath("policies/default.yaml").read_text("utf-8")


def default_policy() -> Policy:
    """The built-in default policy."""
    return parse_policy(default_policy_text(), source="default policy")
