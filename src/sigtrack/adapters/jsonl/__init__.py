"""The old tracker's JSONL files: read them in, write them out."""

from sigtrack.adapters.jsonl.reader import read_legacy_files
from sigtrack.adapters.jsonl.writer import write_legacy_files

__all__ = ["read_legacy_files", "write_legacy_files"]
