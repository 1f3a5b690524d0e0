"""``aisec scan``, ``aisec unredact`` and ``aisec keygen``."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from aisec.errors import InputError, RedactionError
from aisec.io import atomic_writer
from aisec.io.unicode import json_text
from aisec.policy import load_policy
from aisec.redact import generate_key, load_key, mask_value, unredact
from aisec.scanning import RecordResult, ScanJob, ScanSummary, plan_sources, timed


def _console(stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    # a pipe or CI log gets a wide table instead of rich's 80-column default
    return Console(stderr=stderr, highlight=False, width=None if probe.is_terminal else 140)


out_console = _console(False)
err_console = _console(True)


class OutputFormat(StrEnum):
    """How findings are printed."""

    table = "table"
    jsonl = "jsonl"


def _preview(text: str, start: int, end: int) -> str:
    # never print the raw value: a scan report may travel further than the data
    value = text[start:end].replace("\n", " ")
    shown = mask_value(value, (2, 2)) if len(value) > 6 else mask_value(value, (1, 0))
    return shown if len(shown) <= 40 else shown[:37] + "..."


def scan(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders (txt, md, csv, tsv, json, jsonl); '-' for stdin."),
    ] = None,
    text: Annotated[
        list[str] | None, typer.Option("--text", "-t", help="Scan this text (repeatable).")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", "-p", help="Policy YAML (default: built-in).")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, jsonl for machines.")
    ] = OutputFormat.table,
    all_findings: Annotated[
        bool, typer.Option("--all", help="Also list findings below the policy's flag level.")
    ] = False,
    redact: Annotated[
        Path | None,
        typer.Option("--redact", help="Write redacted copies here (a file, or a folder for many)."),
    ] = None,
    text_field: Annotated[
        str, typer.Option(help="JSON/CSV field holding the text (dots for nesting).")
    ] = "text",
    id_field: Annotated[
        str | None, typer.Option(help="JSON/CSV field holding the record id.")
    ] = None,
    input_format: Annotated[
        str, typer.Option(help="auto (by extension), text, jsonl, json, csv or tsv.")
    ] = "auto",
    key_file: Annotated[
        Path | None,
        typer.Option(help="Master key for redact:pseudonym / redact:encrypt (see aisec keygen)."),
    ] = None,
    max_rows: Annotated[int, typer.Option(help="Most finding rows in the table.")] = 200,
) -> None:
    """Find personal data, secrets and harmful content; optionally write redacted copies.

    Exit code: 0 when nothing reaches the policy's flag level, 1 when something does,
    2 on an error.
    """
    pol = load_policy(policy)
    key = load_key(key_file, pol.redaction.key_env)
    job = ScanJob(pol, master_key=key)
    if job.redactor.needs_key() and key is None and redact is not None:
        raise RedactionError(
            "the policy uses redact:pseudonym or redact:encrypt but no key was given: run "
            f"`aisec keygen --out KEYFILE` and pass --key-file KEYFILE (or set ${pol.redaction.key_env})"
        )
    summary = ScanSummary()
    stop = timed(summary)
    rows: list[tuple[RecordResult, bool]] = []
    hidden_rows = 0

    def emit(result: RecordResult) -> None:
        nonlocal hidden_rows
        shown = result.findings if all_findings else result.reported
        if fmt is OutputFormat.jsonl:
            line = {
                "id": result.record.id,
                "findings": [f.as_dict() for f in shown],
            }
            if result.dropped or result.blocked:
                line["action"] = "drop" if result.dropped else "block"
            sys.stdout.write(json_text(line) + "\n")
        elif shown:
            if len(rows) < max_rows:
                rows.append((result, all_findings))
            else:
                hidden_rows += 1

    redacted_texts: list[str] = []
    if text:
        if paths:
            raise InputError("give either --text or files, not both")
        for result in job.run_texts(text, summary):
            emit(result)
            if result.redacted is not None and result.redacted != result.record.text:
                redacted_texts.append(f"{result.record.id}: {result.redacted}")
    else:
        sources = plan_sources(paths or [Path("-")], input_format, redact)
        total = sum(s.path.stat().st_size for s in sources if str(s.path) != "-")
        progress = Progress(
            TextColumn("scanning"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal or total < 5_000_000,
        )
        with progress:
            task = progress.add_task("scan", total=total or None)
            for result in job.run_sources(
                sources,
                summary,
                text_field=text_field,
                id_field=id_field,
                on_bytes=lambda n: progress.advance(task, n),
            ):
                emit(result)
    stop()
    if fmt is OutputFormat.table:
        _render_table(rows, hidden_rows, job)
        for line in redacted_texts:
            out_console.print(f"redacted {line}", markup=False)
    _render_summary(summary, to_stderr=fmt is OutputFormat.jsonl)
    raise typer.Exit(1 if summary.flagged_records else 0)


def _render_table(rows: list[tuple[RecordResult, bool]], hidden: int, job: ScanJob) -> None:
    if not rows:
        out_console.print("No findings at the policy's flag level.")
        return
    table = Table(title="Findings", title_justify="left")
    for col in ("record", "kind", "span", "score", "detector", "action", "value (masked)"):
        table.add_column(col, overflow="fold")
    for result, include_all in rows:
        shown = result.findings if include_all else result.reported
        for f in shown:
            action = job.policy.action_for(f.kind) if job.policy.reaches(f) else "(below)"
            table.add_row(
                result.record.id,
                f.kind,
                f"{f.start}-{f.end}",
                f"{f.score:.2f}",
                f.detector,
                action,
                _preview(result.record.text, f.start, f.end),
            )
    out_console.print(table)
    if hidden:
        out_console.print(f"... and {hidden} more records with findings (use --format jsonl).")


def _render_summary(summary: ScanSummary, *, to_stderr: bool) -> None:
    console = err_console if to_stderr else out_console
    table = Table(title="Summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("records scanned", str(summary.records))
    table.add_row("records with findings", str(summary.flagged_records))
    for kind, n in sorted(summary.findings_by_kind.items()):
        table.add_row(f"  {kind}", str(n))
    for action, n in sorted(summary.actions.items()):
        table.add_row(f"action {action}", str(n))
    if summary.outputs or summary.written:
        table.add_row("records written (redacted)", str(summary.written))
        table.add_row("records dropped", str(summary.dropped))
        table.add_row("records blocked", str(summary.blocked))
    table.add_row("throughput", f"{summary.bytes / 1e6:.2f} MB in {summary.seconds:.2f} s")
    console.print(table)
    for out in summary.outputs:
        console.print(f"redacted copy: {out}")


def unredact_cmd(
    path: Annotated[Path, typer.Argument(help="A redacted file, or '-' for stdin.")],
    key_file: Annotated[Path | None, typer.Option(help="The master key file.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).")
    ] = None,
) -> None:
    """Restore values redacted with redact:encrypt, given the key."""
    key = load_key(key_file, "AISEC_KEY")
    if key is None:
        raise RedactionError("no key: pass --key-file KEYFILE or set $AISEC_KEY")
    try:
        raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
    restored, count = unredact(raw, key)
    if out is None:
        sys.stdout.write(restored)
    else:
        with atomic_writer(out) as fh:
            fh.write(restored)
    err_console.print(f"restored {count} encrypted value(s)")


def keygen(
    out: Annotated[Path, typer.Option("--out", "-o", help="Key file to create (mode 0600).")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing key file.")] = False,
) -> None:
    """Create a master key for redact:pseudonym and redact:encrypt."""
    if out.exists() and not force:
        raise InputError(
            f"{out} exists; pass --force to replace it (values encrypted with it will be lost)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(generate_key() + "\n")
    err_console.print(
        f"wrote a new key to {out}; keep it safe — without it encrypted values cannot be restored"
    )


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""
    app.command("scan")(scan)
    app.command("unredact")(unredact_cmd)
    app.command("keygen")(keygen)
