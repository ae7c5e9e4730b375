"""The one exception tree of sigtrack.

    SigtrackError
    ├── InvalidInput (ValueError)            bad input: names the field and the value
    │   ├── InvalidSignal                    a signal that breaks a rule of DESIGN §3
    │   └── InvalidBatch                     some items of a batch are bad; none stored
    ├── SignalNotFound (LookupError)         no signal with that id
    ├── StateConflict                        the request contradicts what is stored
    │   ├── SignalAlreadyClosed              closing / cancelling a closed signal
    │   └── SignalIdConflict                 a caller-supplied id reused for other content
    ├── StorageError                         the database failed or is unreachable
    │   └── StoreUnavailable                 it could not be reached (writes are journaled)
    └── MarketDataError                      candles could not be read or fetched
        └── UnknownSymbol (LookupError)      the exchange or folder has no such symbol

The CLI, the bot and the HTTP API each translate these in exactly one place.
"""

from __future__ import annotations


class SigtrackError(Exception):
    """Base of every error sigtrack raises on purpose."""


MAX_FIELD_SHOWN = 100  # characters of a field name in a message
MAX_REASON_SHOWN = 500  # characters of a reason: a 10 MB value is not quoted back whole


def shorten(text: str, limit: int) -> str:
    """`text`, or its head and tail around a count of what was cut when it is too long."""
    if len(text) <= limit:
        return text
    tail = limit // 8
    cut = len(text) - limit
    return f"{text[: limit - tail]}…[{cut:,} characters cut]…{text[-tail:]}"


class InvalidInput(SigtrackError, ValueError):
    """Input that breaks a rule; the message names the field and the value (a long value
    shortened, so that a huge input gets a readable error)."""

    def __init__(self, field: str, reason: str, *, limit: int | None = MAX_REASON_SHOWN) -> None:
        self.field = shorten(field, MAX_FIELD_SHOWN)
        self.reason = reason if limit is None else shorten(reason, limit)
        super().__init__(f"{self.field}: {self.reason}")


class InvalidSignal(InvalidInput):
    """A signal that breaks a rule of the signal model."""


class InvalidBatch(InvalidInput):
    """Some items of an all-or-nothing batch are bad; `problems` holds (index, error)."""

    def __init__(self, problems: list[tuple[int, InvalidInput]]) -> None:
        self.problems = problems
        lines = [f"#{index}: {error}" for index, error in problems]
        super().__init__(
            "signals",
            f"nothing stored; {len(problems)} bad item(s):\n" + "\n".join(lines),
            limit=None,  # each line is one item's error, already shortened
        )


class SignalNotFound(SigtrackError, LookupError):
    def __init__(self, signal_id: str) -> None:
        self.signal_id = signal_id
        super().__init__(f"signal_id: no signal with id {signal_id!r}")

    def __str__(self) -> str:  # LookupError would quote the whole message
        return str(self.args[0])


class StateConflict(SigtrackError):
    """The request contradicts what is already stored."""


class SignalAlreadyClosed(StateConflict):
    def __init__(self, signal_id: str, result: str) -> None:
        self.signal_id = signal_id
        self.result = result
        super().__init__(
            f"signal {signal_id!r} is already closed as {result}; "
            "pass override=True (CLI: --override) to correct it"
        )


class SignalIdConflict(StateConflict):
    def __init__(self, signal_id: str, detail: str) -> None:
        self.signal_id = signal_id
        super().__init__(
            f"signal_id: {signal_id!r} is already tracked with different content ({detail})"
        )


class StorageError(SigtrackError):
    """The database failed or could not be reached."""


class StoreUnavailable(StorageError):
    """The database could not be reached: down, unreachable, locked past its timeout,
    or its disk full. Writes made meanwhile go to the journal (services/journal.py)."""


class MarketDataError(SigtrackError):
    """Candles could not be read or fetched (file, exchange, cache)."""


class UnknownSymbol(MarketDataError, LookupError):
    def __init__(self, symbol: str, where: str) -> None:
        self.symbol = symbol
        self.where = where
        super().__init__(f"symbol: {symbol!r} is not listed on {where}")

    def __str__(self) -> str:
        return str(self.args[0])


class BackupError(SigtrackError):
    """A backup could not be written, read, verified or restored (the message names the
    target or the file, never a secret)."""


class BackupNotFound(BackupError, LookupError):
    """The target holds no complete backup, or not the one asked for."""

    def __str__(self) -> str:  # LookupError would quote the whole message
        return str(self.args[0])


class JobError(SigtrackError):
    """A scheduled job could not do its work (recorded in the run ledger and retried)."""
