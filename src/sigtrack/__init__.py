"""sigtrack: record trading signals, settle them, and report honest winrates."""

from sigtrack.core.errors import (
    InvalidInput,
    InvalidSignal,
    SignalAlreadyClosed,
    SignalIdConflict,
    SignalNotFound,
    SigtrackError,
    StateConflict,
    StorageError,
)
from sigtrack.core.records import (
    SignalRecord,
)
from sigtrack.core.signals import (
    Result,
    Side,
    Signal,
    Status,
)
from sigtrack.core.stats import WinrateSummary
from sigtrack.tracker import Tracker

__all__ = [
    "InvalidInput",
    "InvalidSignal",
    "Result",
    "Side",
    "Signal",
    "SignalAlreadyClosed",
    "SignalIdConflict",
    "SignalNotFound",
    "SignalRecord",
    "SigtrackError",
    "StateConflict",
    "Status",
    "StorageError",
    "Tracker",
    "WinrateSummary",
]
__version__ = "0.1.0"
