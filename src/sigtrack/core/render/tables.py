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


def plain_table(table: TextTable) -> str:
    """The table as lines of text for a monospace block: the title, the header (when
    shown), the rows with columns two spaces apart, then the caption. Widths are len() of
    the cells, so a wide character (emoji, CJK) leaves its row a column off."""
    lines = [table.columns] if table.show_header else []
    lines += table.rows
    widths = [
        max((len(line[i]) for line in lines if i < len(line)), default=0)
        for i in range(len(table.columns))
    ]
    out = [table.title] if table.title else []
    for line in lines:
        cells = (
            cell.ljust(width) if name in table.left else cell.rjust(width)
            for cell, width, name in zip(line, widths, table.columns, strict=False)
        )
        out.append("  ".join(cells).rstrip())
    if table.caption:
        out.append(table.caption)
    return "\n".join(out)
