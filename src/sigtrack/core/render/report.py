"""The weekly report in the format asked for: text (Telegram), JSON or an HTML page."""

from __future__ import annotations

import json

from sigtrack.core.errors import InvalidInput
from sigtrack.core.render.weekly import render_weekly_text, weekly_json
from sigtrack.core.render.weekly_html import render_weekly_html
from sigtrack.core.report import WeeklyReport
from sigtrack.core.texts import Lang

REPORT_FORMATS = ("text", "json", "html")


def check_report_format(fmt: str) -> str:
    """`fmt` when it is one of REPORT_FORMATS (checked before a report is built)."""
    if fmt not in REPORT_FORMATS:
        raise InvalidInput("fmt", f"must be one of {', '.join(REPORT_FORMATS)} (got {fmt!r})")
    return fmt


def render_weekly(report: WeeklyReport, fmt: str, lang: Lang = Lang.ID) -> str:
    check_report_format(fmt)
    if fmt == "json":
        return json.dumps(weekly_json(report, lang), ensure_ascii=False, indent=2)
    if fmt == "html":
        return render_weekly_html(report, lang)
    return render_weekly_text(report, lang)
