"""``aisec label``: GB 45438 implicit labels — add, verify, propagate, remove, keygen —
and explicit notices — notice, check-notice.

Exit codes: ``add``, ``propagate`` and ``remove`` give 0 when every file was written and
2 when any could not be (each failure is one line on stderr; the file is left as it was,
the other files are still processed); ``notice`` likewise. ``verify`` and
``check-notice`` give 0 when every file is compliant, 1 when any is noncompliant, has no
label or notice, or is inconclusive, 2 when any could not be read.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from aisec.cli import label_batch as batch_cli
from aisec.errors import AisecError, InputError
from aisec.label import explicit
from aisec.label.batch import VERIFY_KEYS, BatchJob, BatchSpec, Row
from aisec.label.model import AigcLabel, LabelError, entity_code_problems
from aisec.label.service import COMPLIANT, expand_paths, remove_label
from aisec.label.sign import Algorithm, load_public_key, load_signing_key, write_keypair

app = typer.Typer(
    help=(
        "GB 45438 implicit labels for AI-generated content: add, verify, propagate and "
        "remove the AIGC metadata label (PNG, JPEG, ...), sign it with SM2 or ECDSA P-256."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _console(stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, highlight=False, width=None if probe.is_terminal else 140)


out_console = _console(False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per message


class VerifyFormat(StrEnum):
    """How verification results are printed."""

    table = "table"
    json = "json"


def _progress(total: int, verb: str) -> Progress:
    return Progress(
        TextColumn(verb),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=total < 2 or not err_console.is_terminal,
    )


def _targets(
    files: list[Path],
    out: Path | None,
    expand: Callable[[list[Path]], list[Path]] = expand_paths,
) -> list[tuple[Path, Path | None]]:
    """(input, output) pairs: in place, ``out`` for one file, or ``out/<relative path>``
    for several inputs or folders."""
    pairs: list[tuple[Path, Path | None]] = []
    single = len(files) == 1 and not files[0].is_dir()
    for root in files:
        for path in expand([root]):
            if out is None:
                pairs.append((path, None))
            elif single:
                pairs.append((path, out))
            else:
                rel = path.relative_to(root) if root.is_dir() else Path(path.name)
                pairs.append((path, out / rel))
    if not pairs:
        raise InputError("no files of a supported type were found")
    return pairs


def _run_each(
    pairs: list[tuple[Path, Path | None]], verb: str, action: Callable[[Path, Path | None], str]
) -> None:
    """Run ``action`` on every file; one line per failure; exit 2 if any failed."""
    failed = 0
    done: list[str] = []
    with _progress(len(pairs), verb) as progress:
        task = progress.add_task(verb, total=len(pairs))
        for src, dst in pairs:
            try:
                done.append(action(src, dst))
            except AisecError as exc:
                failed += 1
                err_console.print(f"aisec: error: {exc}", markup=False)
            progress.advance(task)
    for line in done[:50]:
        err_console.print(line, markup=False)
    if len(done) > 50:
        err_console.print(f"... and {len(done) - 50} more", markup=False)
    if len(pairs) > 1:
        err_console.print(f"{verb}: {len(done)} file(s) written, {failed} failed", markup=False)
    if failed:
        raise typer.Exit(2)


def _id_for(template: str, path: Path, index: int) -> str:
    if "{" not in template:
        return template
    try:
        return template.format(name=path.name, stem=path.stem, index=index, uuid=uuid.uuid4().hex)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            f"--produce-id template {template!r} is invalid ({exc}); use {{name}}, {{stem}}, "
            "{index} or {uuid}"
        ) from None


def _check_code(option: str, code: str, allow_any: bool) -> None:
    problems = entity_code_problems(code)
    if problems and not allow_any:
        raise LabelError(f"{option} {code!r}: {'; '.join(problems)} (--allow-any-code skips this)")


@app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    producer: Annotated[
        str, typer.Option("--producer", help="ContentProducer: name or code (e.g. with USCC).")
    ],
    produce_id: Annotated[
        str,
        typer.Option(
            "--produce-id",
            help="ProduceID; for many files a template: {stem}, {name}, {index}, {uuid}.",
        ),
    ],
    label: Annotated[
        str, typer.Option("--label", help="1 AI-generated, 2 possibly, 3 suspected.")
    ] = "1",
    sign: Annotated[
        Path | None, typer.Option("--sign", help="Private key (PEM) to sign ReservedCode1.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write here instead of in place (a folder for many)."),
    ] = None,
    allow_any_code: Annotated[
        bool, typer.Option(help="Accept a producer code whose embedded USCC fails its check.")
    ] = False,
    jobs: batch_cli.JobsOption = None,
    report: batch_cli.ReportOption = None,
    state: batch_cli.StateOption = None,
    resume: batch_cli.ResumeOption = False,
) -> None:
    """Write the implicit label into each file (atomically; replaces an existing label)."""
    _check_code("--producer", producer, allow_any_code)
    AigcLabel(label, producer, _id_for(produce_id, Path("x"), 0))  # validate before any file
    if sign is not None:
        load_signing_key(sign)  # a bad key fails before any file is touched
    pairs = _targets(files, out)
    if len(pairs) > 1 and "{" not in produce_id:
        err_console.print(
            f"aisec: warning: {len(pairs)} files get the same ProduceID {produce_id!r}; "
            "use a template such as --produce-id 'job42-{stem}' for one ID per file",
            markup=False,
        )
    spec = BatchSpec("add", label=label, producer=producer, produce_id=produce_id, sign=_abs(sign))
    _write_batch(spec, pairs, produce_id, "labelling", jobs, report, state, resume)


def _abs(path: Path | None) -> str | None:
    return None if path is None else str(path.resolve())


def _job(index: int, src: Path, dst: Path | None, id_template: str) -> BatchJob:
    target = None if dst is None else str(dst)
    return BatchJob(index, str(src), target, _id_for(id_template, src, index))


def _write_batch(
    spec: BatchSpec,
    pairs: list[tuple[Path, Path | None]],
    id_template: str,
    verb: str,
    jobs: int | None,
    report: Path | None,
    state: Path | None,
    resume: bool,
) -> None:
    """Run ``spec`` on every (input, output) pair, one ID per file from ``id_template``,
    and print what was written; exit 2 if any file failed."""
    work = [_job(i, src, dst, id_template) for i, (src, dst) in enumerate(pairs)]
    rows = batch_cli.run(
        spec, work, verb, _progress, workers=jobs, report=report, state=state, resume=resume
    )
    batch_cli.print_writes(rows, verb, err_console)


@app.command("propagate")
def propagate(
    files: Annotated[list[Path], typer.Argument(help="Labelled files or folders.")],
    propagator: Annotated[
        str, typer.Option("--propagator", help="ContentPropagator: the platform's name or code.")
    ],
    propagate_id: Annotated[
        str,
        typer.Option(
            "--propagate-id",
            help="PropagateID; a template for many: {stem}, {name}, {index}, {uuid}.",
        ),
    ],
    sign: Annotated[
        Path | None, typer.Option("--sign", help="Private key (PEM) to sign ReservedCode2.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of in place.")
    ] = None,
    allow_any_code: Annotated[
        bool, typer.Option(help="Accept a propagator code whose embedded USCC fails its check.")
    ] = False,
    jobs: batch_cli.JobsOption = None,
    report: batch_cli.ReportOption = None,
    state: batch_cli.StateOption = None,
    resume: batch_cli.ResumeOption = False,
) -> None:
    """Add the propagator's fields to an existing label; the producer's stay untouched."""
    _check_code("--propagator", propagator, allow_any_code)
    if sign is not None:
        load_signing_key(sign)  # a bad key fails before any file is touched
    pairs = _targets(files, out)
    spec = BatchSpec("propagate", propagator=propagator, propagate_id=propagate_id, sign=_abs(sign))
    _write_batch(spec, pairs, propagate_id, "propagating", jobs, report, state, resume)


@app.command("remove")
def remove(
    files: Annotated[list[Path], typer.Argument(help="Files or folders.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of in place.")
    ] = None,
) -> None:
    """Remove every implicit label copy (GB 45438 allows this only on a user's request)."""
    pairs = _targets(files, out)

    def one(src: Path, dst: Path | None) -> str:
        remove_label(src, out=dst)
        return f"removed the label from {dst or src}"

    _run_each(pairs, "removing", one)


@app.command("verify")
def verify(
    files: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    fmt: Annotated[
        VerifyFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = VerifyFormat.table,
    key: Annotated[
        list[Path] | None,
        typer.Option("--key", help="Public key (PEM) that must have signed; repeatable."),
    ] = None,
    jobs: batch_cli.JobsOption = None,
    report: batch_cli.ReportOption = None,
    state: batch_cli.StateOption = None,
    resume: batch_cli.ResumeOption = False,
) -> None:
    """Read every label copy, check fields, duplicates, conflicts and signatures.

    Exit code: 0 all compliant, 1 some noncompliant or without a label, 2 some unreadable.
    """
    keys = key or []
    for k in keys:
        load_public_key(k)  # a bad key fails before any file is read
    paths = expand_paths(files)
    if not paths:
        raise InputError("no files of a supported type were found")
    spec = BatchSpec("verify", keys=tuple(str(k.resolve()) for k in keys))
    work = [BatchJob(i, str(p)) for i, p in enumerate(paths)]
    results = batch_cli.run(
        spec, work, "verifying", _progress, workers=jobs, report=report, state=state, resume=resume
    )
    if fmt is VerifyFormat.json:
        records = [{k: r.get(k) for k in VERIFY_KEYS} for r in results]
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        _render(results)
    failed = [r for r in results if r["status"] != "ok"]
    for r in failed:
        err_console.print(f"aisec: error: {r['problems'][0]}", markup=False)
    if failed:
        raise typer.Exit(2)
    raise typer.Exit(0 if all(r["verdict"] == COMPLIANT for r in results) else 1)


def _render(results: list[Row]) -> None:
    table = Table(title="Implicit labels", title_justify="left")
    for col in ("file", "format", "verdict", "Label", "producer / ID", "signature", "problems"):
        table.add_column(col, overflow="fold")
    for r in results:
        lab = r["label"]
        table.add_row(
            r["file"],
            r["format"] or "-",
            r["verdict"],
            lab["Label"] if lab else "-",
            f"{lab['ContentProducer']} / {lab['ProduceID']}" if lab else "-",
            r["signature"],
            "; ".join(r["problems"]) or "-",
        )
    out_console.print(table)
    counts = Counter(r["verdict"] for r in results)
    out_console.print(
        ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())), markup=False
    )


@app.command("keygen")
def keygen(
    algorithm: Annotated[
        Algorithm, typer.Option("--algorithm", "-a", help="sm2 (SM2 with SM3) or ecdsa-p256.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Prefix: writes PREFIX.key (0600) and PREFIX.pub.")
    ],
    force: Annotated[bool, typer.Option(help="Overwrite existing key files.")] = False,
) -> None:
    """Create a signing key pair for labels."""
    key_path, pub_path = write_keypair(algorithm, out, force=force)
    err_console.print(
        f"wrote {key_path} (private, keep it safe) and {pub_path} (give this to verifiers)",
        markup=False,
    )


# --- platform intake and the review queue (commands live in aisec.cli.label_intake) ------

from aisec.cli.label_intake import register as _register_intake  # noqa: E402

_register_intake(app)


class NoticeWhere(StrEnum):
    """Where a text or audio notice goes."""

    start = "start"
    end = "end"
    both = "both"


@app.command("notice")
def notice(
    files: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    position: Annotated[
        explicit.Position,
        typer.Option("--position", "-p", help="Images and video: where the notice is drawn."),
    ] = explicit.Position.bottom_right,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Wording (must contain AI/人工智能 and 生成/合成)."),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Default wording: zh (本内容由人工智能生成) or en.")
    ] = "zh",
    where: Annotated[
        NoticeWhere,
        typer.Option("--where", help="Text: start, end or both; audio: start or end."),
    ] = NoticeWhere.start,
    audio: Annotated[
        explicit.AudioMode,
        typer.Option("--audio", help="Audio: the 短长短短 rhythm, a spoken notice, or both."),
    ] = explicit.AudioMode.both,
    height: Annotated[
        float,
        typer.Option("--height", help="Images and video: text height, share of the shorter side."),
    ] = 0.06,
    seconds: Annotated[
        float, typer.Option("--seconds", help="Video: how long the notice stays (≥ 2).")
    ] = 3.0,
    sign: Annotated[
        Path | None,
        typer.Option("--sign", help="Private key (PEM) to re-sign a kept implicit label."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write here instead of in place (a folder for many)."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Images and video: draw even if a notice is already readable.")
    ] = False,
) -> None:
    """Insert a visible or audible notice (text, image, video, audio; atomically).

    Files that already carry a notice are left alone. Re-encoding drops signatures over
    the content: the implicit label is kept, re-signed with --sign or left unsigned.
    """
    key = load_signing_key(sign) if sign is not None else None
    pairs = _targets(files, out, explicit.expand_media)

    def one(src: Path, dst: Path | None) -> str:
        done = explicit.add_notice(
            src,
            notice=text,
            lang=lang,
            position=position,
            where=where.value,
            audio_mode=audio,
            ratio=height,
            seconds=seconds,
            out=dst,
            key=key,
            force=force,
        )
        verb = "added a notice to" if done.inserted else "kept (already has a notice)"
        extra = f" ({'; '.join(done.notes)})" if done.notes and done.inserted else ""
        return f"{verb} {done.file}{extra}"

    _run_each(pairs, "adding notices", one)


@app.command("check-notice")
def check_notice(
    files: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    fmt: Annotated[
        VerifyFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = VerifyFormat.table,
) -> None:
    """Check for an explicit notice: text rule, OCR on images and opening video frames,
    the 短长短短 rhythm in audio.

    Exit code: 0 all compliant, 1 some not, 2 some unreadable.
    """
    paths = explicit.expand_media(files)
    if not paths:
        raise InputError("no files of a supported type were found")
    results: list[explicit.NoticeCheck] = []
    with _progress(len(paths), "checking") as progress:
        task = progress.add_task("check", total=len(paths))
        for path in paths:
            results.append(explicit.check_notice(path))
            progress.advance(task)
    if fmt is VerifyFormat.json:
        json.dump([r.as_dict() for r in results], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        table = Table(title="Explicit notices", title_justify="left")
        for col in ("file", "type", "verdict", "evidence", "problems"):
            table.add_column(col, overflow="fold")
        for r in results:
            table.add_row(
                str(r.file),
                r.modality,
                r.verdict,
                "; ".join(r.evidence) or "-",
                "; ".join(r.problems + r.notes) or "-",
            )
        out_console.print(table)
        counts = Counter(r.verdict for r in results)
        out_console.print(
            ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())), markup=False
        )
    for r in results:
        if r.error:
            err_console.print(f"aisec: error: {r.problems[0]}", markup=False)
    if any(r.error for r in results):
        raise typer.Exit(2)
    raise typer.Exit(0 if all(r.verdict == COMPLIANT for r in results) else 1)
