"""Batch options and their plumbing for ``aisec label add|verify|propagate``.

``--jobs N`` worker processes (default: the CPUs), ``--report PATH`` (.csv/.json/.html),
``--state PATH`` (the resume journal; default ``REPORT.state.jsonl`` beside the report)
and ``--resume`` (skip files the journal shows done and unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from aisec.errors import InputError
from aisec.label.batch import (
    BatchJob,
    BatchSpec,
    Row,
    StateFile,
    default_workers,
    iter_failures,
    run_batch,
)
from aisec.label.report import check_report_path, write_report

JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, help="Worker processes (default: the number of CPUs)."),
]
ReportOption = Annotated[
    Path | None,
    typer.Option("--report", help="Write a report; .csv, .json or .html by the extension."),
]
StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state", help="Journal of finished files (default: REPORT.state.jsonl with --report)."
    ),
]
ResumeOption = Annotated[
    bool,
    typer.Option("--resume", help="Skip files the journal shows done and unchanged since."),
]


def state_path(report: Path | None, state: Path | None) -> Path | None:
    """Where the resume journal goes: ``--state``, else beside ``--report``, else none."""
    if state is not None:
        return state
    return None if report is None else report.with_name(report.name + ".state.jsonl")


def run(
    spec: BatchSpec,
    jobs: Sequence[BatchJob],
    verb: str,
    progress: Callable[[int, str], Progress],
    *,
    workers: int | None,
    report: Path | None,
    state: Path | None,
    resume: bool,
) -> list[Row]:
    """Run the batch with a progress bar; write the report; the rows in input order."""
    if report is not None:
        check_report_path(report)
    journal_path = state_path(report, state)
    if resume and journal_path is None:
        raise InputError("--resume needs --state PATH or --report PATH (the journal beside it)")
    journal = None if journal_path is None else StateFile(journal_path, spec.fingerprint())
    with progress(len(jobs), verb) as bar:
        task = bar.add_task(verb, total=len(jobs))
        rows = run_batch(
            spec,
            jobs,
            workers=workers or default_workers(),
            state=journal,
            resume=resume,
            on_row=lambda _row: bar.advance(task),
        )
    if report is not None:
        write_report(report, rows, spec.op)
    return rows


def print_writes(rows: Sequence[Row], verb: str, console: Console) -> None:
    """One line per failure, up to 50 written files, a summary; exit 2 if any failed."""
    for message in iter_failures(rows):
        console.print(f"aisec: error: {message}", markup=False)
    done = [r for r in rows if r["status"] == "ok"]
    for row in done[:50]:
        signed = " (signed)" if row.get("signature") == "signed" else ""
        again = " (already done, skipped)" if row.get("resumed") else ""
        console.print(f"{row['verdict']} {row['out'] or row['file']}{signed}{again}", markup=False)
    if len(done) > 50:
        console.print(f"... and {len(done) - 50} more", markup=False)
    failed = len(rows) - len(done)
    if len(rows) > 1:
        resumed = sum(1 for r in done if r.get("resumed"))
        skipped = f", {resumed} already done (skipped)" if resumed else ""
        console.print(
            f"{verb}: {len(done) - resumed} file(s) written{skipped}, {failed} failed",
            markup=False,
        )
    if failed:
        raise typer.Exit(2)
