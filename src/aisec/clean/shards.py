"""Shards: the units of parallel work of a cleaning run, planned once from the sources.

A shard is one input file, a slice of a big JSON Lines file, or up to 1,000 files of a
plain-text folder. Big uncompressed JSONL files are cut into slices of about
``recipe.shard_mb`` megabytes at line boundaries, so that one 10 GB file is worked on by
every worker and no worker holds more than a slice; each slice writes its own output part
(``name-00000.jsonl``, ``name-00001.jsonl`` …). Compressed files cannot be cut without
reading them, and JSON arrays, CSV/TSV (quoted fields may span lines) and Parquet are one
shard per file.

The plan depends only on the inputs and the recipe, so a resumed run (and a run on the
other executor) sees the same shards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisec.clean.formats import file_format, list_files, split_suffix
from aisec.clean.recipe import FieldMap, Recipe, RecipeError
from aisec.io.records import bounded_lines

TEXT_FILES_PER_SHARD = 1000
_EXT = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "tsv": ".tsv", "parquet": ".parquet"}
_COMP = {"gzip": ".gz", "zstd": ".zst"}
_COUNT_BLOCK = 1 << 24  # newline counting reads 16 MiB at a time


@dataclass(frozen=True)
class Shard:
    """One unit of parallel work: input files of one source, and where their output goes."""

    index: int
    source: str
    fmt: str
    files: list[tuple[str, str]]  # (absolute path, path relative to the source)
    out: str  # relative to the run folder (a folder for plain text)
    out_fmt: str
    compression: str | None
    fields: dict[str, Any]
    #: a slice of the one input file: [first byte, end byte, number of its first line];
    #: None for whole files
    span: list[int] | None = None

    @property
    def key(self) -> str:
        """The shard's file stem in the work folder."""
        return f"{self.index:05d}"

    @property
    def reports_inputs(self) -> bool:
        """Whether this shard describes its input file(s) in the manifest (a sliced
        file is described once, by its first slice)."""
        return self.span is None or self.span[0] == 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Shard:
        """Back from ``dataclasses.asdict`` after a JSON round trip."""
        return cls(**{**data, "files": [(str(a), str(r)) for a, r in data["files"]]})


def line_spans(path: Path, target: int) -> list[list[int]]:
    """Cut a file into slices of about ``target`` bytes that end after a newline:
    ``[start, end, first line number]`` each (lines numbered from 1, as the reader does)."""
    size = path.stat().st_size
    spans: list[list[int]] = []
    start, line = 0, 1
    with path.open("rb") as fh:
        while start < size:
            end = size
            if start + target < size:
                fh.seek(start + target)
                # the rest of the line it falls in, never held whole (it may be gigabytes)
                _, rest = next(bounded_lines(fh, _COUNT_BLOCK), (b"", 0))
                end = min(size, start + target + rest)
            spans.append([start, end, line])
            fh.seek(start)
            left = end - start
            while left:
                block = fh.read(min(_COUNT_BLOCK, left))
                if not block:  # the file shrank while we read it
                    raise RecipeError(f"{path}: the file changed while it was planned")
                line += block.count(b"\n")
                left -= len(block)
            start = end
    return spans


def plan_shards(recipe: Recipe) -> list[Shard]:
    """Split the sources into shards (see the module docstring)."""
    shards: list[Shard] = []
    target = max(1, int(recipe.shard_mb * 1_000_000))
    for src in recipe.sources:
        files = list_files(src.path, src.format)
        if not files:
            raise RecipeError(f"source {src.label}: no input files at {src.path}")
        root = src.path if src.path.is_dir() else src.path.parent
        by_fmt: dict[str, list[Path]] = {}
        for f in files:
            by_fmt.setdefault(file_format(f, src.format), []).append(f)
        for fmt, group in by_fmt.items():
            if fmt == "text":
                for i in range(0, len(group), TEXT_FILES_PER_SHARD):
                    chunk = group[i : i + TEXT_FILES_PER_SHARD]
                    shards.append(
                        _shard(recipe, len(shards), src.label, fmt, chunk, root, src.fields)
                    )
                continue
            for f in group:
                spans = None
                if fmt == "jsonl" and split_suffix(f)[1] is None and f.stat().st_size > target:
                    spans = line_spans(f, target)
                if spans is None or len(spans) < 2:
                    shards.append(
                        _shard(recipe, len(shards), src.label, fmt, [f], root, src.fields)
                    )
                    continue
                for part, span in enumerate(spans):
                    shards.append(
                        _shard(
                            recipe, len(shards), src.label, fmt, [f], root, src.fields, span, part
                        )
                    )
    return shards


def _shard(
    recipe: Recipe,
    index: int,
    source: str,
    fmt: str,
    files: list[Path],
    root: Path,
    fields: FieldMap,
    span: list[int] | None = None,
    part: int = 0,
) -> Shard:
    rels = [(str(f.resolve()), f.relative_to(root).as_posix()) for f in files]
    _, comp = split_suffix(files[0])
    want = recipe.output.compression
    compression = comp if want == "auto" else (None if want == "none" else want)
    out_fmt = fmt if recipe.output.format == "auto" else recipe.output.format
    if fmt == "text" and out_fmt == "text":
        out = f"data/{source}"
    else:
        rel = Path(rels[0][1])
        stem = rel.name.split(".")[0] + (f"-{part:05d}" if span is not None else "")
        name = stem + _EXT.get(out_fmt, ".txt") + (_COMP.get(compression or "", ""))
        out = f"data/{source}/{(rel.parent / name).as_posix()}"
        if len(files) > 1:  # text files written as one structured file
            out = f"data/{source}/part-{index:05d}{_EXT.get(out_fmt, '.jsonl')}"
    return Shard(index, source, fmt, rels, out, out_fmt, compression, fields.model_dump(), span)
