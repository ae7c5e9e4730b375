"""Column types: times go in aware and come out aware UTC, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Refuses naive datetimes; stores UTC; restores tzinfo=UTC on read (SQLite drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"UtcDateTime needs an aware datetime (got {value!r})")
        moment = value.astimezone(UTC)
        # SQLite keeps text: store naive UTC so that text order is time order.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQLAlchemy's SQLite DATETIME storage format, which the bind processor writes.
_SQLITE_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def sqlite_utc_text(moment: datetime) -> str:
    """What `UtcDateTime` stores on SQLite for `moment`, for rows encoded without the bind
    processors (a test holds the two equal)."""
    if moment.tzinfo is not UTC:
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise ValueError(f"UtcDateTime needs an aware datetime (got {moment!r})")
        moment = moment.astimezone(UTC)
    return _SQLITE_TEXT % (moment.year, moment.month, moment.day, moment.hour,
                           moment.minute, moment.second, moment.microsecond)  # fmt: skip
