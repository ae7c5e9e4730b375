"""The one place a `TextTable` (core/render) becomes a rich table on the terminal."""

from __future__ import annotations

from rich import box
from rich.table import Table

from sigtrack.core.render.tables import TextTable


def rich_table(table: TextTable) -> Table:
    shown = Table(
        title=table.title or None,
        title_justify="left",
        caption=table.caption or None,
        caption_justify="left",
        show_header=table.show_header,
        box=box.HEAVY_HEAD if table.show_header else None,
    )
    for name in table.columns:
        shown.add_column(name, justify="left" if name in table.left else "right")
    for row in table.rows:
        shown.add_row(*row)
    return shown
