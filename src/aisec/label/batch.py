"""Run ``add``, ``verify`` or ``propagate`` over many files: in parallel, resumable.

Every file gives one *row*: a plain JSON-able dict (file, out, format, verdict, status,
label, signature, problems, ...). Rows come back in input order whatever the number of
workers, and a file that fails — a malformed file, an unexpected exception, even a worker
process that dies — is one ``failed`` row, never a lost one.

Parallelism is a process pool (``workers`` > 1) fed a bounded window of files; with one
worker the files are handled in this process (no pool, no per-file IPC). Only our own
plain arguments (a :class:`BatchSpec`, paths and strings) and rows cross between
processes.

Resumability: with a :class:`StateFile`, one JSON line is appended and flushed per
finished file — its path, size, mtime, SHA-256 (taken *after* an in-place write) and the
row. Resuming skips a file whose last line has the same operation and options, an
``ok`` status, and the same size, mtime and SHA-256; a changed file, a failed one or one
that was in flight when the run was killed is done again. The skipped file's earlier
row goes into the results (``resumed: true``), so a report covers the whole set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

from aisec.errors import AisecError, InputError
from aisec.label import service
from aisec.label.carriers.registry import carriers
from aisec.label.model import AigcLabel
from aisec.label.sign import PublicKey, SigningKey, load_public_key, load_signing_key

Row = dict[str, Any]
OPERATIONS = ("add", "verify", "propagate")
#: The keys of ``aisec label verify --format json`` records, in order.
VERIFY_KEYS = (
    "file",
    "verdict",
    "label",
    "carriers",
    "signature",
    "problems",
    "format",
    "signatures",
    "notes",
)
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """What to do to every file (the options shared by all files of one run)."""

    op: str
    label: str = "1"
    producer: str = ""
    produce_id: str = ""  # the template as given; each job carries its resolved ID
    propagator: str = ""
    propagate_id: str = ""
    sign: str | None = None  # private key path
    keys: tuple[str, ...] = ()  # public key paths (verify)

    def __post_init__(self) -> None:
        if self.op not in OPERATIONS:
            raise InputError(f"unknown batch operation {self.op!r}; use one of {OPERATIONS}")

    def fingerprint(self) -> str:
        """A short digest of the options: resuming only reuses rows made with the same."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class BatchJob:
    """One file: its position, the input, the output (None = in place), its ID."""

    index: int
    src: str
    dst: str | None = None
    file_id: str = ""  # ProduceID (add) or PropagateID (propagate) for this file


# --- one file (runs in a worker process, or in this one) -------------------------------


@cache
def _format_names() -> dict[str, str]:
    return {ext: c.name for c in reversed(carriers()) for ext in c.extensions}


def _format_of(path: str) -> str | None:
    # by extension: sniffing the file again would cost an open per file (the carrier that
    # wrote it was chosen by content; a report only needs the name)
    name = os.path.basename(path)
    if name in ("", ".", ".."):  # a trailing separator or dot: let pathlib say
        name = Path(path).name
    dot = name.rfind(".")
    return _format_names().get(name[dot:].lower() if 0 < dot < len(name) - 1 else "")


@cache
def _signing_key(path: str) -> SigningKey:
    return load_signing_key(Path(path))


@cache
def _public_keys(paths: tuple[str, ...]) -> tuple[PublicKey, ...]:
    return tuple(load_public_key(Path(p)) for p in paths)


def _base_row(spec: BatchSpec, job: BatchJob) -> Row:
    return {
        "file": job.src,
        "out": job.dst,
        "op": spec.op,
        "format": None,
        "verdict": FAILED,
        "status": FAILED,
        "label": None,
        "carriers": [],
        "signature": "unsigned",
        "signatures": {},
        "problems": [],
        "notes": [],
        "resumed": False,
    }


def process_file(spec: BatchSpec, job: BatchJob) -> Row:
    """Do ``spec`` to one file and describe the outcome; never raises for a file problem."""
    row = _base_row(spec, job)
    src, dst = job.src, job.dst  # strings: the service takes them as they are (no Path each)
    try:
        if spec.op == "verify":
            result = service.verify_file(src, _public_keys(spec.keys))
            row.update(result.as_dict())
            row["file"] = job.src
            row["status"] = FAILED if result.error else "ok"
            return row
        key = _signing_key(spec.sign) if spec.sign else None
        if spec.op == "add":
            written = service.add_label(
                src, AigcLabel(spec.label, spec.producer, job.file_id), key=key, out=dst
            )
            row["verdict"], signed = "labelled", bool(written.reserved_code1)
        else:
            written = service.propagate_label(src, spec.propagator, job.file_id, key=key, out=dst)
            row["verdict"], signed = "propagated", bool(written.reserved_code2)
        row.update(
            status="ok",
            label=written.as_dict(),
            signature="signed" if signed else "unsigned",
            format=_format_of(dst or src),
        )
    except AisecError as exc:
        row["problems"] = [str(exc)]
    except Exception as exc:
        row["problems"] = [f"{job.src}: unexpected error ({type(exc).__name__}: {exc}); "
                           "please report this"]  # fmt: skip
    return row


_WORKER_SPEC: list[BatchSpec] = []


def _init_worker(spec: BatchSpec) -> None:
    _WORKER_SPEC[:] = [spec]


def _work(job: BatchJob) -> Row:
    return process_file(_WORKER_SPEC[0], job)


def _crashed_row(spec: BatchSpec, job: BatchJob) -> Row:
    row = _base_row(spec, job)
    row["problems"] = [
        f"{job.src}: the worker process died while handling this file (a crash in a "
        "library or out of memory); the file was not changed by aisec"
    ]
    return row


# --- resumable state -------------------------------------------------------------------


def file_stamp(path: Path) -> dict[str, Any]:
    """Size, mtime (ns) and SHA-256 of a file, or an empty dict when it is gone."""
    try:
        st = path.stat()
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for piece in iter(lambda: fh.read(1 << 20), b""):
                digest.update(piece)
    except OSError:
        return {}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest.hexdigest()}


def _stat_matches(path: Path, stamp: dict[str, Any]) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    if (st.st_size, st.st_mtime_ns) != (stamp.get("size"), stamp.get("mtime_ns")):
        return False
    return file_stamp(path).get("sha256") == stamp.get("sha256")


@dataclass(slots=True)
class StateFile:
    """The JSONL journal of finished files that makes a run resumable."""

    path: Path
    fingerprint: str
    _fh: IO[str] | None = field(default=None, init=False, repr=False)

    def load(self) -> dict[str, dict[str, Any]]:
        """The last entry per file for this run's options (a torn last line is ignored)."""
        entries: dict[str, dict[str, Any]] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return entries
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the state file ({exc})") from None
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the line being written when a run was killed
            if isinstance(entry, dict) and entry.get("options") == self.fingerprint:
                entries[str(entry.get("path"))] = entry  # keyed by absolute path
        return entries

    def open(self, *, append: bool) -> None:
        """Start writing (appending when resuming, else from empty)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a" if append else "w", encoding="utf-8")

    def record(self, job: BatchJob, row: Row) -> None:
        """Append one finished file and flush it to the OS (survives a killed process)."""
        if self._fh is None:
            raise RuntimeError("state file not open")
        stamp = file_stamp(Path(job.src)) if row["status"] == "ok" else {}
        entry = {"path": os.path.abspath(job.src), "options": self.fingerprint, **stamp}
        entry.update(outcome=row["verdict"], row=row)
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        if self._fh is not None:
            self._fh.flush()
            with contextlib.suppress(OSError):
                os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None


def _already_done(job: BatchJob, entry: dict[str, Any] | None) -> bool:
    if entry is None or not isinstance(entry.get("row"), dict):
        return False
    row = entry["row"]
    if row.get("status") != "ok" or row.get("out") != job.dst:
        return False
    if job.dst is not None and not Path(job.dst).exists():
        return False
    return _stat_matches(Path(job.src), entry)


# --- the run ---------------------------------------------------------------------------


def default_workers() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_batch(
    spec: BatchSpec,
    jobs: Sequence[BatchJob],
    *,
    workers: int = 1,
    state: StateFile | None = None,
    resume: bool = False,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Run ``spec`` over ``jobs``; one row per job, in the jobs' order.

    ``on_row`` is called once per file as it finishes (including files skipped because a
    resumed state says they are done), e.g. to advance a progress bar.
    """
    results: list[Row | None] = [None] * len(jobs)
    position = {job.index: i for i, job in enumerate(jobs)}
    previous = state.load() if (state is not None and resume) else {}
    todo: list[BatchJob] = []
    for i, job in enumerate(jobs):
        entry = previous.get(os.path.abspath(job.src))
        if _already_done(job, entry):
            row = dict(entry["row"]) if entry else {}
            row["resumed"] = True
            results[i] = row
            if on_row is not None:
                on_row(row)
        else:
            todo.append(job)

    def finish(job: BatchJob, row: Row) -> None:
        results[position[job.index]] = row
        if state is not None:
            state.record(job, row)
        if on_row is not None:
            on_row(row)

    if state is not None:
        state.open(append=resume)
    try:
        if workers <= 1 or len(todo) <= 1:
            for job in todo:
                finish(job, process_file(spec, job))
        else:
            _run_parallel(spec, todo, workers, finish)
    finally:
        if state is not None:
            state.close()
    missing = [jobs[i].src for i, r in enumerate(results) if r is None]
    if missing:  # cannot happen; never silently drop a file
        raise RuntimeError(f"batch lost {len(missing)} file(s), e.g. {missing[0]}")
    return [r for r in results if r is not None]


def _context() -> multiprocessing.context.BaseContext:
    # Not "fork": the parent runs a progress-bar thread, and forking a threaded process
    # can deadlock. The fork server starts with the label code already imported.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["aisec.label.batch"])
        return ctx
    return multiprocessing.get_context("spawn")


def _run_parallel(
    spec: BatchSpec,
    todo: Sequence[BatchJob],
    workers: int,
    finish: Callable[[BatchJob, Row], None],
) -> None:
    queue = deque(todo)
    while queue:
        stranded = _run_pool(spec, queue, workers, finish)
        # A worker died: the files it may have been handling are re-run one per fresh
        # process, so only the file that kills its worker becomes a failed row.
        for job in stranded:
            _run_alone(spec, job, finish)


def _run_pool(
    spec: BatchSpec,
    queue: deque[BatchJob],
    workers: int,
    finish: Callable[[BatchJob, Row], None],
) -> list[BatchJob]:
    """Feed ``queue`` to a pool; the jobs in flight when the pool broke (else [])."""
    window = 2 * workers  # bounded: a killed run loses at most these files
    inflight: dict[Future[Row], BatchJob] = {}
    with ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_init_worker, initargs=(spec,)
    ) as pool:
        broken = False
        while (queue and not broken) or inflight:
            while queue and not broken and len(inflight) < window:
                job = queue.popleft()
                try:
                    inflight[pool.submit(_work, job)] = job
                except BrokenProcessPool:
                    queue.appendleft(job)
                    broken = True
            if not inflight:
                break
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                if fut.exception() is None:
                    finish(inflight.pop(fut), fut.result())
                elif isinstance(fut.exception(), BrokenProcessPool):
                    broken = True
                    break
                else:  # an exception outside process_file's guard (e.g. a result too big)
                    job = inflight.pop(fut)
                    row = _crashed_row(spec, job)
                    row["problems"] = [f"{job.src}: {fut.exception()}"]
                    finish(job, row)
            if broken:
                stranded = []
                for fut, job in list(inflight.items()):
                    if fut.done() and fut.exception() is None:
                        finish(job, fut.result())
                    else:
                        stranded.append(job)
                return stranded
    return []


def _run_alone(spec: BatchSpec, job: BatchJob, finish: Callable[[BatchJob, Row], None]) -> None:
    with ProcessPoolExecutor(
        1, mp_context=_context(), initializer=_init_worker, initargs=(spec,)
    ) as pool:
        try:
            row = pool.submit(_work, job).result()
        except BrokenProcessPool:
            row = _crashed_row(spec, job)
    finish(job, row)


def iter_failures(rows: Sequence[Row]) -> Iterator[str]:
    """One message per failed row."""
    for row in rows:
        if row.get("status") == FAILED:
            problems = row.get("problems") or [f"{row.get('file')}: failed"]
            yield str(problems[0])
