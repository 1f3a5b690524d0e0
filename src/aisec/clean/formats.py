"""Readers and writers of corpus shards: JSONL, JSON arrays, CSV/TSV, Parquet and
plain-text folders (one file, one document), each optionally gzip- or zstd-compressed.
JSONL, CSV/TSV and Parquet stream; a JSON array or a text file is read whole, up to
`WHOLE_FILE_LIMIT` (a larger one goes to the quarantine, with the advice to write JSONL).

Readers never raise on a bad record: a malformed JSON line, a line or file that is not
UTF-8, a record without its text field comes out as a `Malformed` item with the reason, and
the pipeline writes it to the quarantine. A lone surrogate escape in JSON (``"\\ud83d"``,
half an emoji: no UTF-8 text can hold it) is read as U+FFFD. Writers write the kept records
in the input's format, each record's original fields kept and only its text field(s)
replaced; every file appears whole or not at all (temporary file, fsync, rename).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import zstandard

from aisec.clean.recipe import FieldMap
from aisec.io.atomic import atomic_binary
from aisec.io.records import (
    LINE_LIMIT,
    TOO_DEEP,
    WHOLE_FILE_LIMIT,
    TooDeep,
    allow_long_csv_fields,
    bounded_lines,
    dotted_field,
    load_json,
)
from aisec.io.unicode import replace_lone_surrogates

#: a byte that is not UTF-8, as ``errors="surrogateescape"`` decodes it
_UNDECODED = re.compile("[\udc80-\udcff]")
#: a JSON escape of a surrogate (a lone one, or half of a pair `json.loads` joins)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_EXT = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
}


@dataclass
class Doc:
    """One record on its way through the steps.

    ``uid`` is unique within a run (``shard:ordinal``); ``id`` is the record's own id (its
    id field, else ``file:line``). ``parts`` are the text fields the steps read and
    rewrite (one, or a prompt and a response); ``raw`` is the parsed record, written back
    with the parts replaced.
    """

    uid: str
    id: str
    source: str
    file: str
    line: int
    parts: dict[str, str]
    raw: Any = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All parts joined (what judging steps look at)."""
        return "\n".join(self.parts.values())

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept between passes."""
        return {
            "uid": self.uid,
            "id": self.id,
            "source": self.source,
            "file": self.file,
            "line": self.line,
            "parts": self.parts,
            "raw": self.raw,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Doc:
        """Inverse of `to_json`."""
        return cls(
            obj["uid"],
            obj["id"],
            obj["source"],
            obj["file"],
            obj["line"],
            obj["parts"],
            obj.get("raw"),
            obj.get("notes") or {},
        )


@dataclass(frozen=True)
class Malformed:
    """An input item that could not be read as a record, and why."""

    file: str
    line: int
    reason: str  # a short code: malformed_json, bad_encoding, missing_text, …
    raw: str
    detail: str = ""


def split_suffix(path: Path) -> tuple[str, str | None]:
    """``(format, compression)`` from a file name such as ``part.jsonl.zst``."""
    suffixes = [s.lower() for s in path.suffixes]
    comp = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if comp is not None:
        suffixes = suffixes[:-1]
    fmt = _EXT.get(suffixes[-1], "") if suffixes else ""
    return fmt, comp


def list_files(path: Path, fmt: str) -> list[Path]:
    """The input files of a source: the file itself, or the supported files below a
    folder (sorted, so every run sees them in the same order)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    out = []
    for f in sorted(path.rglob("*")):
        if not f.is_file() or f.name.startswith("."):
            continue
        found, _ = split_suffix(f)
        if found and (fmt == "auto" or found == fmt):
            out.append(f)
    return out


def file_format(path: Path, fmt: str) -> str:
    """The format of one input file (explicit, else from its name)."""
    if fmt != "auto":
        return fmt
    found, _ = split_suffix(path)
    return found or "text"


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing ``.gz`` and ``.zst`` on the fly."""
    _, comp = split_suffix(path)
    if comp == "gzip":
        return cast(IO[bytes], gzip.open(path, "rb"))
    if comp == "zstd":
        raw = path.open("rb")
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(reader)
    return path.open("rb")


def _set(obj: dict[str, Any], dotted: str, value: str) -> None:
    parts = dotted.split(".")
    cur = obj
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    cur[parts[-1]] = value


def _bad_bytes(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")[:2000]


class SourceReader:
    """Reads the records of a shard's input files as `Doc` or `Malformed` items."""

    def __init__(
        self,
        files: list[tuple[Path, str]],
        fmt: str,
        fields: FieldMap,
        source: str,
        shard: int,
        span: list[int] | None = None,
    ) -> None:
        self.files = files
        self.span = span  # [start, end, first line]: a slice of one uncompressed JSONL file
        self.fmt = fmt
        self.fields = fields
        self.source = source
        self.shard = shard
        self.path = Path()
        self.rel = ""
        self._n = 0

    def _doc(self, obj: Any, line: int) -> Doc | Malformed:
        if not isinstance(obj, dict):
            return Malformed(
                self.rel, line, "not_an_object", json.dumps(obj)[:2000], type(obj).__name__
            )
        parts: dict[str, str] = {}
        for name in self.fields.text_fields():
            value = dotted_field(obj, name)
            if value is None:
                return Malformed(
                    self.rel, line, "missing_text", json.dumps(obj)[:2000], f"no field {name!r}"
                )
            if not isinstance(value, str):
                return Malformed(
                    self.rel,
                    line,
                    "text_not_string",
                    json.dumps(obj, default=str)[:2000],
                    f"field {name!r} is {type(value).__name__}",
                )
            parts[name] = value
        rid = dotted_field(obj, self.fields.id) if self.fields.id else None
        src = dotted_field(obj, self.fields.source) if self.fields.source else None
        self._n += 1
        return Doc(
            f"{self.shard}:{self._n}",
            str(rid) if rid is not None else f"{self.rel}:{line}",
            str(src) if src is not None else self.source,
            self.rel,
            line,
            parts,
            obj,
        )

    def __iter__(self) -> Iterator[Doc | Malformed]:
        for path, rel in self.files:
            self.path, self.rel = path, rel
            yield from self._file()

    def _file(self) -> Iterator[Doc | Malformed]:
        try:
            fh = open_binary(self.path)
        except OSError as exc:
            yield Malformed(self.rel, 0, "unreadable", "", str(exc))
            return
        with fh:
            try:
                if self.fmt == "jsonl":
                    yield from self._jsonl(fh)
                elif self.fmt == "json":
                    yield from self._whole(fh, self._json)
                elif self.fmt in ("csv", "tsv"):
                    yield from self._csv(fh)
                elif self.fmt == "parquet":
                    yield from self._parquet(fh)
                else:
                    yield from self._whole(fh, self._text)
            except (OSError, EOFError, zstandard.ZstdError) as exc:
                yield Malformed(
                    self.rel, 0, "unreadable", "", f"unreadable or truncated file: {exc}"
                )

    def _lines(self, fh: IO[bytes]) -> Iterator[tuple[int, bytes, int]]:
        """Numbered lines of the file, or of the slice ``span`` of it, with the bytes each
        took (`bounded_lines`: a line of `LINE_LIMIT` bytes or more is cut)."""
        if self.span is None:
            for lineno, (data, size) in enumerate(bounded_lines(fh), 1):
                yield lineno, data, size
            return
        start, end, first = self.span
        fh.seek(start)
        pos = start
        for lineno, (data, size) in enumerate(bounded_lines(fh), first):
            if pos >= end:
                return
            pos += size
            yield lineno, data, size

    def _jsonl(self, fh: IO[bytes]) -> Iterator[Doc | Malformed]:
        for lineno, data, size in self._lines(fh):
            if size > len(data):
                yield Malformed(
                    self.rel,
                    lineno,
                    "too_large",
                    _bad_bytes(data[:2000]),
                    f"a line of {size:,} bytes: lines of {LINE_LIMIT:,} bytes or more are "
                    "not read; split the record",
                )
                continue
            if not data.strip():
                continue
            try:
                # a byte-order mark starts what Windows tools write (`aisec scan` reads it too)
                line = data.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield Malformed(
                    self.rel,
                    lineno,
                    "bad_encoding",
                    _bad_bytes(data),
                    f"not valid UTF-8 ({exc.reason})",
                )
                continue
            try:
                obj = load_json(line)
            except json.JSONDecodeError as exc:
                yield Malformed(
                    self.rel,
                    lineno,
                    "malformed_json",
                    line[:2000],
                    f"{exc.msg} at column {exc.colno}",
                )
                continue
            except TooDeep:
                yield Malformed(self.rel, lineno, "malformed_json", line[:2000], TOO_DEEP)
                continue
            if _SURROGATE_ESCAPE.search(line):
                obj = replace_lone_surrogates(obj)
            yield self._doc(obj, lineno)

    def _whole(self, fh: IO[bytes], parse: Any) -> Iterator[Doc | Malformed]:
        data = fh.read(WHOLE_FILE_LIMIT + 1)
        if len(data) > WHOLE_FILE_LIMIT:
            yield Malformed(
                self.rel,
                0,
                "too_large",
                "",
                f"a JSON or text file is read whole, and this one is over "
                f"{WHOLE_FILE_LIMIT >> 20} MiB: split it, or write JSON arrays as JSONL "
                "(jq -c '.[]' file.json), which is streamed",
            )
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield Malformed(
                self.rel,
                0,
                "bad_encoding",
                _bad_bytes(data[:2000]),
                f"not valid UTF-8 ({exc.reason})",
            )
            return
        yield from parse(text)

    def _json(self, text: str) -> Iterator[Doc | Malformed]:
        try:
            data = load_json(text)
        except json.JSONDecodeError as exc:
            yield Malformed(self.rel, exc.lineno, "malformed_json", text[:2000], exc.msg)
            return
        except TooDeep:
            yield Malformed(self.rel, 0, "malformed_json", text[:2000], TOO_DEEP)
            return
        if _SURROGATE_ESCAPE.search(text):
            data = replace_lone_surrogates(data)
        items = data if isinstance(data, list) else [data]
        for i, obj in enumerate(items, 1):
            yield self._doc(obj, i)

    def _csv(self, fh: IO[bytes]) -> Iterator[Doc | Malformed]:
        """Rows as they are read (a CSV file of any size streams); a row with bytes that are
        not UTF-8 goes to the quarantine, and the rows after it are read on."""
        allow_long_csv_fields()
        # undecodable bytes come through as U+DC80..U+DCFF, which no UTF-8 text can hold
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.DictReader(text, delimiter="\t" if self.fmt == "tsv" else ",")
        try:
            for row in reader:
                if None in row:
                    yield Malformed(
                        self.rel,
                        reader.line_num,
                        "malformed_csv",
                        json.dumps(row, default=str)[:2000],
                        "more fields than the header",
                    )
                    continue
                if any(
                    _UNDECODED.search(k) or (v and _UNDECODED.search(v)) for k, v in row.items()
                ):
                    yield Malformed(
                        self.rel,
                        reader.line_num,
                        "bad_encoding",
                        json.dumps(row)[:2000],
                        "not valid UTF-8",
                    )
                    continue
                yield self._doc(row, reader.line_num)
        except csv.Error as exc:
            yield Malformed(self.rel, reader.line_num, "malformed_csv", "", str(exc))
        finally:
            text.detach()  # the caller closes the file

    def _text(self, text: str) -> Iterator[Doc | Malformed]:
        if "\x00" in text:
            yield Malformed(self.rel, 0, "binary", "", "NUL bytes in a text file")
            return
        self._n += 1
        yield Doc(
            f"{self.shard}:{self._n}", self.rel, self.source, self.rel, 1, {"text": text}, None
        )

    def _parquet(self, fh: IO[bytes]) -> Iterator[Doc | Malformed]:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        try:
            pf = pq.ParquetFile(io.BytesIO(fh.read()))
        except Exception as exc:  # pyarrow raises several unrelated types for bad files
            yield Malformed(self.rel, 0, "malformed_parquet", "", str(exc))
            return
        row = 0
        for batch in pf.iter_batches(batch_size=4096):
            for obj in batch.to_pylist():
                row += 1
                yield self._doc(_jsonable(obj), row)


def _jsonable(obj: Any) -> Any:
    """Parquet values as plain JSON values (dates and bytes become strings)."""
    return json.loads(json.dumps(obj, default=str))


def encode(data: bytes, compression: str | None) -> bytes:
    """Compress ``data`` (deterministically: same bytes in, same bytes out)."""
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data)
    return data


class ShardWriter:
    """Writes the kept records of one shard in the input's format, atomically.

    JSON Lines are streamed (compressed on the fly) into a temporary file that replaces
    the target on `close`, so a shard of any size needs no more memory than one record;
    `abort` (or an exception before `close`) leaves nothing behind. The other formats
    are collected and written on `close`: their readers hold the whole file anyway (a JSON
    array, a CSV whose header is the union of the columns, a Parquet table), and a
    plain-text folder gets one small file per kept document.
    """

    def __init__(self, path: Path, fmt: str, compression: str | None, fields: FieldMap) -> None:
        self.path = path
        self.fmt = fmt
        self.compression = compression
        self.fields = fields
        self.rows: list[Any] = []
        self.count = 0
        self._stack = contextlib.ExitStack()
        self._out: IO[bytes] | None = None

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

    def _stream(self) -> IO[bytes]:
        if self._out is None:
            raw = self._stack.enter_context(atomic_binary(self.path))
            self._out = self._stack.enter_context(_compressing(raw, self.compression))
        return self._out

    def write(self, doc: Doc) -> None:
        """Add one kept record."""
        self.count += 1
        if self.fmt == "text":
            self.rows.append((doc.id, doc.parts.get("text", doc.text)))
            return
        obj = json.loads(json.dumps(doc.raw)) if isinstance(doc.raw, dict) else {}
        for name, value in doc.parts.items():
            _set(obj, name, value)
        if self.fmt == "jsonl":
            self._stream().write((json.dumps(obj, ensure_ascii=False) + "\n").encode())
        else:
            self.rows.append(obj)

    def abort(self) -> None:
        """Give up: the temporary file (if any) is removed and the target left as it was."""
        if self._out is not None:
            self._out = None
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def close(self) -> list[Path]:
        """Write the file(s); returns what was written."""
        if self.fmt == "jsonl":
            self._stream()  # an empty shard still gets its (empty) file
            self._out = None
            self._stack.close()
            return [self.path]
        if self.fmt == "text":
            # a plain-text folder stays a folder: one file per kept document
            written = []
            for rel, text in self.rows:
                target = self.path / rel
                with atomic_binary(target) as fh:
                    fh.write(encode(text.encode("utf-8"), self.compression))
                written.append(target)
            return written
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            buf = io.BytesIO()
            pq.write_table(pa.Table.from_pylist(self.rows), buf)
            data = buf.getvalue()
        elif self.fmt == "json":
            data = (json.dumps(self.rows, ensure_ascii=False, indent=2) + "\n").encode()
        else:
            sio = io.StringIO(newline="")
            names: list[str] = []
            for r in self.rows:
                names.extend(k for k in r if k not in names)
            w = csv.DictWriter(sio, fieldnames=names, delimiter="\t" if self.fmt == "tsv" else ",")
            w.writeheader()
            for r in self.rows:
                w.writerow({k: v if isinstance(v, str) else json.dumps(v) for k, v in r.items()})
            data = sio.getvalue().encode("utf-8")
        with atomic_binary(self.path) as fh:
            fh.write(encode(data, self.compression))
        return [self.path]


@contextlib.contextmanager
def _compressing(raw: IO[bytes], compression: str | None) -> Iterator[IO[bytes]]:
    """``raw`` behind a streaming compressor (deterministic: no name or time in a gzip
    header), flushed and finished on exit; ``raw`` itself stays open."""
    if compression == "gzip":
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            yield cast(IO[bytes], gz)
    elif compression == "zstd":
        writer = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
        with writer:
            yield cast(IO[bytes], writer)
    else:
        yield raw
