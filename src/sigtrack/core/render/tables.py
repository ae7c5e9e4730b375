"""A table as plain text cells, for a terminal (or any other) front end to lay out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class TextTable:
    """Columns and rows of ready-made text; `left` columns are left-aligned, the others
    right-aligned (numbers)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    caption: str = ""
    left: frozenset[str] = frozenset()
    show_header: bool = True
