"""The Ray executor: same recipe, same run folder byte for byte as the local executor
(timestamps aside); a clear error when Ray is not installed."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aisec.clean.executor import RAY_MISSING, make_executor
from aisec.clean.ledger import verify_run
from aisec.clean.pipeline import CleaningRun
from aisec.clean.recipe import Recipe, RecipeError, default_recipe

LONG_ZH = "城市交通的发展正在改变居民的出行方式，新的地铁线路已经开通，公交站点也重新规划。"


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """One local Ray for the session (start-up is the slow part, about 5-10 s)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _corpus(root: Path) -> None:
    words = ["river", "forest", "market", "bridge", "garden", "harbour", "museum", "tower"]
    for f in range(3):
        rows = []
        for i in range(60):
            n = f * 100 + i
            text = (
                f"Document {n} describes the {words[n % 8]} and the {words[(n * 3 + 1) % 8]} "
                f"of town {n * 7919 % 10007} with unique words w{n}a w{n}b w{n}c w{n}d."
            )
            if i % 13 == 0:
                text += " Call 13800138000 now."
            if i % 17 == 0:
                text = LONG_ZH + "教你制作冰毒的方法"
            rows.append({"id": f"f{f}-{i}", "text": text})
        rows.append({"id": f"f{f}-dup", "text": rows[5]["text"]})  # duplicates across shards
        rows.append({"id": f"f{f}-near", "text": rows[7]["text"] + " Extra words."})
        path = root / f"part{f}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n", "utf-8")


def _snapshot(run: Path) -> dict[str, bytes]:
    snap = {}
    for p in sorted(run.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        rel = p.relative_to(run).as_posix()
        if rel == "manifest.json":
            m = json.loads(data)
            m["started"] = "-"
            m["recipe"]["executor"] = "-"
            data = json.dumps(m, sort_keys=True).encode()
        elif rel == "report.html":
            text = data.decode()
            started = text.split(", started ", 1)[1].split(".", 1)[0]
            data = text.replace(started, "-").encode()
        snap[rel] = data
    return snap


def test_ray_output_is_byte_for_byte_local(tmp_path: Path, ray_local: Any) -> None:
    _corpus(tmp_path / "in")
    out = tmp_path / "out"
    recipe = default_recipe([tmp_path / "in"], out)
    local = CleaningRun(recipe, jobs=2).execute().manifest
    shutil.move(out, tmp_path / "local")
    ray_recipe = Recipe.model_validate({**recipe.model_dump(), "executor": "ray"})
    on_ray = CleaningRun(ray_recipe).execute().manifest
    assert on_ray["recipe"]["executor"] == "ray"
    assert local["input"] == on_ray["input"] == 3 * 63
    assert local["counts"]["exact_dedup"]["drop:duplicate"] >= 3
    assert verify_run(out).ok
    a, b = _snapshot(tmp_path / "local"), _snapshot(out)
    assert sorted(a) == sorted(b)
    differ = [k for k in a if a[k] != b[k]]
    assert not differ
    assert on_ray["sampling"]["technical"] == local["sampling"]["technical"]


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    with pytest.raises(RecipeError, match=r"pip install aisec\[ray\]") as err:
        make_executor("ray", 2)
    assert str(err.value) == RAY_MISSING
    assert make_executor("local", 1).__class__.__name__ == "LocalExecutor"
