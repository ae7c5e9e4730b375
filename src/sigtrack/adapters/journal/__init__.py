"""The journal on disk: an append-only file of JSON lines under `signal_logs/journal/`,
each flushed and fsync'd before the call that wrote it returns."""

from sigtrack.adapters.journal.file import JournalFile

__all__ = ["JournalFile"]
