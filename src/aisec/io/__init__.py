"""Reading and writing records: text, Markdown, CSV/TSV, JSON and JSONL, streamed."""

from aisec.io.atomic import atomic_writer
from aisec.io.records import FORMATS, Record, RecordWriter, detect_format, iter_files, read_records

__all__ = [
    "FORMATS",
    "Record",
    "RecordWriter",
    "atomic_writer",
    "detect_format",
    "iter_files",
    "read_records",
]
