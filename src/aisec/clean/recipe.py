"""Cleaning recipes: which sources, which steps with which parameters, the policy, the
executor and the output. A recipe is YAML validated by pydantic; errors name the file, the
line and the key (``recipe.yaml:14: steps.2.params.min_chars: …``), as policies do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aisec.errors import AisecError
from aisec.policy import _line_of

SourceType = Literal["open-source", "self-collected", "commercial", "user-input"]
Format = Literal["auto", "jsonl", "json", "csv", "tsv", "parquet", "text"]
#: a step's name; listed in the order the default recipe runs them
StepName = Literal[
    "normalize",
    "quality",
    "pii",
    "harmful",
    "poison",
    "exact_dedup",
    "near_dedup",
    "source_gate",
]
#: every step, in the order the default recipe runs them
STEP_NAMES: tuple[StepName, ...] = get_args(StepName)


class RecipeError(AisecError):
    """A recipe file is missing, malformed or names something unknown."""


class FieldMap(BaseModel):
    """Which fields of a record hold the id, the text (or a prompt/response pair) and the
    source name. Dotted paths reach into nested JSON (``meta.id``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str = "text"
    id: str | None = "id"
    source: str | None = None
    prompt: str | None = None
    response: str | None = None

    @model_validator(mode="after")
    def _pair(self) -> FieldMap:
        if (self.prompt is None) != (self.response is None):
            raise ValueError("give both prompt and response, or neither")
        return self

    def text_fields(self) -> tuple[str, ...]:
        """The fields the steps read and rewrite."""
        if self.prompt is not None and self.response is not None:
            return (self.prompt, self.response)
        return (self.text,)


class SourceSpec(BaseModel):
    """One source of the corpus and its registry entry (guide 4: type, licence or
    contract, collection record)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = Field(None, description="defaults to the file or folder name")
    path: Path
    format: Format = "auto"
    fields: FieldMap = Field(default_factory=FieldMap)
    type: SourceType = "self-collected"
    licence: str | None = Field(None, description="licence, or contract reference")
    collection: str | None = Field(None, description="how and when it was collected")

    @property
    def label(self) -> str:
        """The source name used in counts and the ledger."""
        return self.name or self.path.name


class StepSpec(BaseModel):
    """One step and its parameters (validated by the step itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: StepName
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


class OutputSpec(BaseModel):
    """Where the run goes and how kept records are written."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    dir: Path
    format: Format = Field("auto", description="auto: the format of each input")
    compression: Literal["auto", "none", "gzip", "zstd"] = "auto"
    keep_work: bool = False


class Recipe(BaseModel):
    """A validated recipe; load with `load_recipe`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1] = 1
    name: str = "clean"
    sources: list[SourceSpec] = Field(min_length=1)
    steps: list[StepSpec] = Field(
        default_factory=lambda: [StepSpec.model_validate({"name": n}) for n in STEP_NAMES]
    )
    policy: Path | None = None
    executor: Literal["local", "ray"] = "local"
    jobs: int | None = Field(None, ge=1)
    shard_mb: float = Field(
        64, gt=0, description="big uncompressed JSONL files are cut into slices of this size"
    )
    seed: int = 20240901
    output: OutputSpec

    @model_validator(mode="after")
    def _unique(self) -> Recipe:
        names = [s.label for s in self.sources]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"source names must be unique; repeated: {', '.join(sorted(dup))}")
        steps = [s.name for s in self.steps]
        if len(set(steps)) != len(steps):
            raise ValueError("each step may appear once")
        return self

    def step(self, name: str) -> StepSpec | None:
        """The enabled step called ``name``, if any."""
        for s in self.steps:
            if s.name == name and s.enabled:
                return s
        return None


def _resolve(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative paths in a recipe are relative to the recipe's folder."""
    for src in data.get("sources") or []:
        if isinstance(src, dict) and isinstance(src.get("path"), str):
            src["path"] = str(base / src["path"])
    if isinstance(data.get("policy"), str):
        data["policy"] = str(base / data["policy"])
    out = data.get("output")
    if isinstance(out, dict) and isinstance(out.get("dir"), str):
        out["dir"] = str(base / out["dir"])
    return data


def parse_recipe(text: str, *, source: str = "<recipe>", base_dir: Path | None = None) -> Recipe:
    """Validate a recipe given as YAML text; errors name the line and the key."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise RecipeError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: a recipe is a YAML mapping (key: value)")
    if base_dir is not None:
        data = _resolve(data, base_dir)
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if isinstance(p, (str, int))]
        where = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of_seq(root, loc)
        at = f"{source}:{line}" if line else source
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise RecipeError(f"{at}: {where}: {msg}") from exc


def _line_of_seq(node: yaml.Node | None, loc: list[int | str]) -> int | None:
    """Like `aisec.policy._line_of`, also stepping into YAML lists (``steps.2.params``)."""
    line: int | None = None
    for i, part in enumerate(loc):
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
            continue
        if isinstance(node, yaml.MappingNode):
            found = _line_of(node, [part])
            if found is None:
                break
            line = found
            node = next(v for k, v in node.value if k.value == str(part))
            continue
        del i
        break
    return line


def load_recipe(path: Path) -> Recipe:
    """Load and validate a recipe file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RecipeError(f"recipe file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"cannot read recipe {path}: {exc}") from exc
    return parse_recipe(text, source=str(path), base_dir=path.resolve().parent)


def default_recipe(inputs: list[Path], output: Path, *, policy: Path | None = None) -> Recipe:
    """The recipe ``aisec clean --input … --output …`` runs: every step, pack defaults."""
    return Recipe.model_validate(
        {
            "sources": [{"path": p} for p in inputs],
            "policy": policy,
            "output": {"dir": output},
        }
    )


STARTER_RECIPE = """\
# aisec clean recipe — run with `aisec clean run recipe.yaml` (or `aisec clean recipe.yaml`).
# Relative paths are relative to this file.
version: 1
name: my-corpus

# Source registry (guide 4): every source says what it is and under which licence/contract.
sources:
  - name: web-crawl
    path: data/web/             # a file or a folder; .gz / .zst are read transparently
    format: auto                # auto | jsonl | json | csv | tsv | parquet | text (one file = one doc)
    fields: {text: text, id: id}        # dotted paths reach nested JSON: meta.id
    type: open-source           # open-source | self-collected | commercial | user-input
    licence: CC-BY-4.0
    collection: "crawled 2025-03, robots.txt respected"
  # - name: sft-pairs
  #   path: data/sft.jsonl
  #   fields: {prompt: instruction, response: output, id: uid}
  #   type: commercial
  #   licence: "contract 2025-017"

policy: null                    # a policy file (aisec policy init); null = built-in default

# Steps run per shard in this order; exact_dedup, near_dedup, poison (trigger scan) and
# source_gate also run across all shards. Remove a step or set enabled: false to skip it.
steps:
  - name: normalize             # encoding repair, NFKC, HTML/boilerplate, white space
    params: {strip_html: true}
  - name: quality
    params: {min_chars: 20, languages: [zh, en], max_symbol_ratio: 0.3}
  - name: pii                   # actions come from the policy (mask/replace/pseudonym/encrypt/drop)
  - name: harmful               # keyword library (+ classifier: true for the risk model)
    params: {classifier: false, threshold: 0.5, action: drop}
  - name: poison                # injection in SFT data, re-ingested AIGC, trigger n-grams
    params: {attack: true, aigc: true, triggers: true}
  - name: exact_dedup
  - name: near_dedup
    params: {threshold: 0.7, keep: first}
  - name: source_gate           # the 5 % rule: reject a source whose harmful rate is higher
    params: {max_harmful_rate: 0.05}

executor: local                 # local (process pool over shards) | ray (pip install aisec[ray])
jobs: null                      # worker processes; null = number of CPUs
shard_mb: 64                    # big uncompressed JSONL files are cut into ~64 MB slices
output:
  dir: out/clean
  format: auto                  # auto = the format of each input
  compression: auto             # auto = as the input; none | gzip | zstd
"""
