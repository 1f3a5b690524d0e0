"""Stream `Record`s out of files and write redacted copies in the same format.

Every reader streams (a 2 GB JSONL file is read line by line) and fails with an
`InputError` that names the file and line: a missing file, a binary file, invalid UTF-8, a
malformed JSON line, a record without the text field. Nothing is skipped silently.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, AnyStr

import orjson

from aisec.errors import InputError
from aisec.io.atomic import atomic_writer
from aisec.io.unicode import json_text

FORMATS = ("text", "jsonl", "json", "csv", "tsv")
#: the longest CSV/TSV field read (characters): the largest the `csv` module accepts
CSV_FIELD_LIMIT = 2**31 - 1
#: what is said of JSON nested deeper than the parser goes (`RecursionError`) or than
#: `MAX_JSON_DEPTH`
TOO_DEEP = "JSON nested too deeply to read"
#: lists and objects nested deeper than this are refused: no record nests so deep, and
#: what works on a record afterwards (copies, encoders, walks) recurses, with less stack
#: left than the parser had
MAX_JSON_DEPTH = 200
#: the largest JSON (array) file read whole (bytes); the other formats stream
WHOLE_FILE_LIMIT = 1 << 30
#: the longest line read (characters of a text file, bytes of a binary one): a longer one
#: is never held whole (`bounded_lines`); `aisec scan` refuses it, `aisec clean`
#: quarantines it
LINE_LIMIT = WHOLE_FILE_LIMIT
#: what is read at a time of the rest of a line over the limit, to skip it
_SKIP_CHUNK = 1 << 20
_EXT = {
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".log": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
}


@dataclass
class Record:
    """One unit of text to scan, with where it came from.

    ``raw`` keeps the parsed object (JSON/CSV row) so a writer can put the redacted text
    back into the same field.
    """

    id: str
    text: str
    source: str
    line: int
    raw: Any = None
    extra_fields: dict[str, str] = field(default_factory=dict)


def detect_format(path: Path, explicit: str | None = None) -> str:
    """The format of ``path``: the explicit one, or from the file extension."""
    if explicit and explicit != "auto":
        if explicit not in FORMATS:
            raise InputError(
                f"unknown input format {explicit!r} (use one of: {', '.join(FORMATS)})"
            )
        return explicit
    fmt = _EXT.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            f"use --input-format ({', '.join(FORMATS)})"
        )
    return fmt


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Expand folders into the supported files below them (sorted); yields (file, root)."""
    for p in paths:
        if str(p) == "-":
            yield p, p
        elif p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _EXT)
            if not found:
                raise InputError(
                    f"{p}: no supported files in this folder ({', '.join(sorted(_EXT))})"
                )
            for f in found:
                yield f, p
        elif p.exists():
            yield p, p.parent
        else:
            raise InputError(f"no such file or folder: {p}")


def _open_text(path: Path) -> IO[str]:
    if str(path) == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="strict", newline="")
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    if b"\x00" in head:
        raise InputError(
            f"{path}: looks like a binary file (it contains NUL bytes); give a text file"
        )
    return path.open("r", encoding="utf-8-sig", newline="")


def bounded_lines(fh: IO[AnyStr], limit: int | None = None) -> Iterator[tuple[AnyStr, int]]:
    """The lines of ``fh`` (text or binary), each with its ending, and how much of the file
    each took. A line of ``limit`` (`LINE_LIMIT`) characters or bytes or more, ending
    aside, is never held whole: it comes out as its first ``limit``, without its ending,
    the rest read in pieces and dropped; its size then says how long it was (a line is
    whole when its size is its length). In a text file read with ``newline=""`` a CRLF is
    one ending even where the limit falls between its CR and LF (the LF is not a line)."""
    limit = LINE_LIMIT if limit is None else limit
    readline = fh.readline
    after_cr = False  # the last line ended with a CR just where a read stopped
    while True:
        line = readline(limit)
        if not line:
            return
        if after_cr:
            after_cr = False
            if line == "\n":  # the LF of a CRLF split between two reads
                continue
        size = len(line)
        if size == limit and line[-1:] not in _ENDINGS:  # at least the limit: skip the rest
            while True:
                rest = readline(_SKIP_CHUNK)
                size += len(rest)
                if not rest or rest[-1:] in _ENDINGS:
                    after_cr = rest[-1:] == "\r"
                    break
        else:
            after_cr = size == limit and line[-1:] == "\r"
        yield line, size


#: the endings of a line as `readline` leaves them (with ``newline=""``, a text line may
#: end with a lone CR)
_ENDINGS = (b"\n", "\n", "\r")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    fh = _open_text(path)
    lineno = 0
    try:
        with fh:
            for lineno, (line, size) in enumerate(bounded_lines(fh), 1):
                if size > len(line):
                    raise InputError(
                        f"{path}:{lineno}: a line of {LINE_LIMIT:,} characters or more (a "
                        "record is one line, read whole): split it into lines or records"
                    )
                yield lineno, line
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}:{lineno + 1}: not valid UTF-8 ({exc.reason} at byte {exc.start} of the "
            "line); convert the file to UTF-8"
        ) from exc


def dotted_field(obj: Any, dotted: str) -> Any:
    """The value at a dotted path (``meta.id``) in nested JSON objects; None when a part
    of the path is missing."""
    cur = obj
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur


def _record_from_obj(
    obj: Any, path: Path, line: int, text_field: str, id_field: str | None, index: int
) -> Record:
    if not isinstance(obj, dict):
        raise InputError(
            f"{path}:{line}: expected a JSON object per record, got {type(obj).__name__}"
        )
    text = dotted_field(obj, text_field)
    if text is None:
        raise InputError(
            f"{path}:{line}: record has no field {text_field!r} (choose the field with --text-field)"
        )
    if not isinstance(text, str):
        raise InputError(f"{path}:{line}: field {text_field!r} is {type(text).__name__}, not text")
    rid = dotted_field(obj, id_field) if id_field else None
    return Record(
        str(rid) if rid is not None else f"{path.name}:{index}", text, str(path), line, obj
    )


def read_records(
    path: Path,
    fmt: str,
    *,
    text_field: str = "text",
    id_field: str | None = None,
) -> Iterator[Record]:
    """Stream the records of one file (``-`` is standard input)."""
    name = "stdin" if str(path) == "-" else path.name
    if fmt == "text":
        for lineno, line in _lines(path):
            yield Record(f"{name}:{lineno}", line.rstrip("\r\n"), str(path), lineno)
    elif fmt == "jsonl":
        for lineno, line in _lines(path):
            if not line.strip():
                continue
            try:
                obj = load_json(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}:{lineno}: malformed JSON line ({exc.msg} at column {exc.colno})"
                ) from exc
            except TooDeep:
                raise InputError(f"{path}:{lineno}: {TOO_DEEP}") from None
            yield _record_from_obj(obj, path, lineno, text_field, id_field, lineno)
    elif fmt == "json":
        if str(path) != "-" and _size(path) > WHOLE_FILE_LIMIT:
            raise InputError(
                f"{path}: a JSON array is read whole, and this file is over "
                f"{WHOLE_FILE_LIMIT >> 20} MiB: write it as JSONL (jq -c '.[]' {path.name}), "
                "which is streamed"
            )
        fh = _open_text(path)
        try:
            with fh:
                data = load_json(fh.read())
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{exc.lineno}: malformed JSON ({exc.msg} at column {exc.colno})"
            ) from exc
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: not valid UTF-8 ({exc.reason}); convert the file to UTF-8"
            ) from exc
        except TooDeep:
            raise InputError(f"{path}: {TOO_DEEP}") from None
        items = data if isinstance(data, list) else [data]
        for i, obj in enumerate(items, 1):
            yield _record_from_obj(obj, path, i, text_field, id_field, i)
    elif fmt in ("csv", "tsv"):
        fh = _open_text(path)
        try:
            with fh:
                allow_long_csv_fields()
                reader = csv.DictReader(fh, delimiter="\t" if fmt == "tsv" else ",")
                if reader.fieldnames is None:
                    return
                if text_field not in reader.fieldnames:
                    raise InputError(
                        f"{path}:1: no column {text_field!r} (columns: {', '.join(reader.fieldnames)}); "
                        "choose one with --text-field"
                    )
                for i, row in enumerate(reader, 1):
                    if None in row:
                        raise InputError(
                            f"{path}:{reader.line_num}: more fields than the header has"
                        )
                    yield _record_from_obj(row, path, reader.line_num, text_field, id_field, i)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: not valid UTF-8 ({exc.reason}); convert the file to UTF-8"
            ) from exc
        except csv.Error as exc:
            raise InputError(f"{path}: malformed CSV ({exc})") from exc
    else:  # pragma: no cover - detect_format guards this
        raise InputError(f"unknown format {fmt!r}")


class TooDeep(ValueError):
    """JSON nested deeper than the parser goes, or than `MAX_JSON_DEPTH`."""


#: a run of 20 digits: perhaps an integer past 64 bits, which orjson reads as a float
_LONG_DIGITS = re.compile(rb"[0-9]{20}")
_LONG_DIGITS_TEXT = re.compile(r"[0-9]{20}")


def fast_loads(data: str | bytes | bytearray, fallback: Callable[[Any], Any] = json.loads) -> Any:
    """JSON read by orjson (the values `json.loads` gives, several times faster), or by
    ``fallback`` when orjson refuses it (NaN, a lone surrogate's escape, UTF-16, a byte
    order mark, nesting past its limit: ``fallback`` decides) or when it has a run of 20
    digits (an integer past 64 bits would become a float)."""
    long = _LONG_DIGITS_TEXT.search(data) if isinstance(data, str) else _LONG_DIGITS.search(data)
    if long is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return fallback(data)


def fast_dumps(obj: Any, fallback: Callable[[Any], bytes]) -> bytes:
    """``obj`` as compact JSON in UTF-8, non-ASCII as itself, by orjson; by ``fallback``
    when orjson refuses it (a lone surrogate, an integer past 64 bits, a key that is not
    a string). orjson writes a NaN or an infinity as ``null``."""
    try:
        return orjson.dumps(obj)
    except orjson.JSONEncodeError:
        return fallback(obj)


def load_json(text: str | bytes | bytearray, decode: Callable[[Any], Any] = json.loads) -> Any:
    """JSON from outside, parsed by ``decode``: `json.JSONDecodeError` when it is not JSON,
    `TooDeep` (both `ValueError`) when it nests too deep to work on."""
    try:
        obj = decode(text)
    except RecursionError:
        raise TooDeep(TOO_DEEP) from None
    if nested_too_deep(obj, text):
        raise TooDeep(TOO_DEEP)
    return obj


def nested_too_deep(obj: Any, raw: str | bytes | bytearray | None = None) -> bool:
    """True when ``obj`` (parsed JSON) nests lists and objects more than `MAX_JSON_DEPTH`
    deep; when the ``raw`` text it was parsed from is given, only if that has so many
    brackets (most records have a handful: no walk)."""
    if raw is not None:
        brackets = (
            raw.count("[") + raw.count("{")
            if isinstance(raw, str)
            else (raw.count(b"[") + raw.count(b"{"))
        )
        if brackets <= MAX_JSON_DEPTH:
            return False
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _size(path: Path) -> int:
    """Bytes in ``path`` (0 when it cannot be read: opening it then says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def allow_long_csv_fields() -> None:
    """Lift the `csv` module's 128 KiB limit on one field (a whole document in a cell is
    valid CSV; the limit made such a file "malformed"). Process-wide, as `csv` keeps it."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)


def _set_field(obj: dict[str, Any], dotted: str, value: str) -> None:
    parts = dotted.split(".")
    cur = obj
    for part in parts[:-1]:
        cur = cur[part]
    cur[parts[-1]] = value


class RecordWriter:
    """Writes redacted records in the input's format, atomically (temp file + rename)."""

    def __init__(self, path: Path, fmt: str, text_field: str = "text") -> None:
        self.path = path
        self.fmt = fmt
        self.text_field = text_field
        self._cm = atomic_writer(path)
        self._fh = self._cm.__enter__()
        self._csv: csv.DictWriter[str] | None = None
        self._json_items: list[Any] = []

    def write(self, record: Record, text: str) -> None:
        """Write one record with ``text`` in place of its original text."""
        if self.fmt == "text":
            self._fh.write(text + "\n")
            return
        obj = dict(record.raw) if isinstance(record.raw, dict) else {}
        if self.fmt in ("jsonl", "json"):
            obj = json.loads(json.dumps(record.raw))  # a deep copy of plain JSON data
            _set_field(obj, self.text_field, text)
            if self.fmt == "jsonl":
                self._fh.write(json_text(obj) + "\n")
            else:
                self._json_items.append(obj)
            return
        obj[self.text_field] = text
        if self._csv is None:
            self._csv = csv.DictWriter(
                self._fh, fieldnames=list(obj), delimiter="\t" if self.fmt == "tsv" else ","
            )
            self._csv.writeheader()
        self._csv.writerow(obj)

    def close(self, *, ok: bool = True) -> None:
        """Finish the file (``ok``) or throw it away."""
        if ok and self.fmt == "json":
            self._fh.write(json_text(self._json_items, indent=2))
            self._fh.write("\n")
        if ok:
            self._cm.__exit__(None, None, None)
        else:
            exc = RuntimeError("aborted")
            self._cm.__exit__(type(exc), exc, None)
