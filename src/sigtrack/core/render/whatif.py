"""The TP/SL what-if grid: its best cells in words (id / en) and the JSON view."""

from __future__ import annotations

from datetime import tzinfo

from sigtrack.core.outcomes import ms_to_datetime
from sigtrack.core.render.values import Json, iso, pct, rate_text
from sigtrack.core.texts import Lang, format_pct, text
from sigtrack.core.whatif import CellResult, Unit, WhatIf


def render_whatif(result: WhatIf, zone: tzinfo, lang: Lang) -> str:
    split = f"{result.split_at_ms and iso(ms_to_datetime(result.split_at_ms), zone)}"
    unit = " R" if result.unit is Unit.R else "%"
    lines = [
        text("whatif.title", lang, signals=result.signals, split=split),
        text("whatif.recorded", lang, pnl=format_pct(result.recorded_out, signed=True, digits=3),
             n=result.recorded_n_out),
    ]  # fmt: skip
    for cell in result.best:
        lines.append(
            text(
                "whatif.cell", lang, target=f"{cell.target:g}{unit}", stop=f"{cell.stop:g}{unit}",
                pnl_in=format_pct(cell.expectancy_in, signed=True, digits=3), n_in=cell.n_in,
                pnl_out=format_pct(cell.expectancy_out, signed=True, digits=3), n_out=cell.n_out,
                share=rate_text(cell.profitable_out),
            )
        )  # fmt: skip
    if not result.best:
        lines.append(text("whatif.none", lang, n=result.min_n))
    return "\n".join(lines)


def cell_json(cell: CellResult) -> Json:
    return {
        "target": cell.target,
        "stop": cell.stop,
        "n_in": cell.n_in,
        "expectancy_in_pct": cell.expectancy_in,
        "n_out": cell.n_out,
        "expectancy_out_pct": cell.expectancy_out,
        "profitable_out_pct": pct(cell.profitable_out),
    }


def whatif_json(result: WhatIf, zone: tzinfo) -> Json:
    return {
        "unit": result.unit.value,
        "signals": result.signals,
        "min_n": result.min_n,
        "split_at": iso(ms_to_datetime(result.split_at_ms), zone),
        "recorded_out_pct": result.recorded_out,
        "recorded_n_out": result.recorded_n_out,
        "best": [cell_json(cell) for cell in result.best],
        "cells": [cell_json(cell) for cell in result.cells],
    }
