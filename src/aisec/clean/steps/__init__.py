"""The cleaning steps: per-record steps run inside each shard, corpus-wide steps between
the passes. `build_steps` turns a recipe into step objects."""

from __future__ import annotations

from typing import Any

from aisec.clean.recipe import Recipe
from aisec.clean.steps.base import (
    Decision,
    Event,
    GlobalStep,
    RecordStep,
    StepParams,
    Tally,
    text_hash,
)
from aisec.clean.steps.corpus import ExactDedupStep, NearDedupStep, SourceGate, TriggerScan
from aisec.clean.steps.detect import HarmfulStep, PiiStep, PoisonStep
from aisec.clean.steps.text import NormalizeStep, QualityStep

RECORD_STEPS: dict[str, type[RecordStep]] = {
    s.name: s for s in (NormalizeStep, QualityStep, PiiStep, HarmfulStep, PoisonStep)
}
#: corpus-wide steps, in the order they run
GLOBAL_ORDER = ("exact_dedup", "near_dedup", "poison", "source_gate")
GLOBAL_STEPS: dict[str, type[GlobalStep]] = {
    "exact_dedup": ExactDedupStep,
    "near_dedup": NearDedupStep,
    "poison": TriggerScan,
    "source_gate": SourceGate,
}


def build_record_steps(recipe: Recipe, context: dict[str, Any]) -> list[RecordStep]:
    """The per-record steps of a recipe, in recipe order."""
    return [
        RECORD_STEPS[s.name](s.params, context)
        for s in recipe.steps
        if s.enabled and s.name in RECORD_STEPS
    ]


def build_global_step(recipe: Recipe, name: str, context: dict[str, Any]) -> GlobalStep | None:
    """The corpus-wide step ``name`` of a recipe, or None when the recipe does not run it."""
    spec = recipe.step(name)
    if spec is None:
        return None
    if name == "poison" and not spec.params.get("triggers", True):
        return None
    return GLOBAL_STEPS[name](spec.params, context)


def step_versions() -> dict[str, str]:
    """Every step's version, for the manifest."""
    out = {name: cls.version for name, cls in RECORD_STEPS.items()}
    out.update({name: cls.version for name, cls in GLOBAL_STEPS.items() if name not in out})
    return out


__all__ = [
    "GLOBAL_ORDER",
    "Decision",
    "Event",
    "GlobalStep",
    "RecordStep",
    "StepParams",
    "Tally",
    "build_global_step",
    "build_record_steps",
    "step_versions",
    "text_hash",
]
