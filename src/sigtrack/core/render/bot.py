"""The bot's messages, in Telegram's HTML parse mode: every value goes through `escape`.

Each function takes the service's value and returns one HTML text; the adapter splits it
under Telegram's limit (`split_message`) and sends it. No number is computed here that a
service did not give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from sigtrack.core.bot_records import (
    Announcement,
    FeedbackAnswer,
    FeedbackSummary,
    OutboxState,
    StoreStatus,
)
from sigtrack.core.breakdowns import Breakdown, GroupSummary
from sigtrack.core.jobs import JobName
from sigtrack.core.journal import Journaled
from sigtrack.core.open_signals import OpenList, OpenSignalView
from sigtrack.core.records import SignalRecord
from sigtrack.core.render.breakdown import breakdown_table
from sigtrack.core.render.jobs import latest_lines
from sigtrack.core.render.journal import status_text as journal_text
from sigtrack.core.render.report import render_weekly
from sigtrack.core.render.tables import TextTable, plain_table
from sigtrack.core.render.telegram_html import escape, pre
from sigtrack.core.render.values import rate_text
from sigtrack.core.render.winrate import render_winrate
from sigtrack.core.report import WeeklyReport
from sigtrack.core.signals import EventKind, Result
from sigtrack.core.stats import CountSummary, WinrateSummary
from sigtrack.core.texts import NO_VALUE, Lang, format_pct, text

JOBS = tuple(job.value for job in JobName)  # the automatic jobs, as /signal_stats lists them
RESULT_ICONS = {Result.WIN: "✅", Result.LOSS: "❌", Result.EXPIRED: "⌛",
                Result.BREAKEVEN: "➖", Result.CANCELLED: "🚫"}  # fmt: skip


def titled(plain: str) -> str:
    """A plain multi-line text as HTML, escaped, its first line bold (the title)."""
    title, _, rest = plain.partition("\n")
    return f"<b>{escape(title)}</b>" + (f"\n{escape(rest)}" if rest else "")


def line(key: str, lang: Lang, **values: object) -> str:
    """One text line with every value escaped."""
    return text(key, lang, **{name: escape(value) for name, value in values.items()})


def price_text(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.8g}"


def local_time(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def age_text(age: timedelta, lang: Lang) -> str:
    minutes = max(0, int(age.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return text("bot.age.days", lang, d=days, h=hours)
    if hours:
        return text("bot.age.hours", lang, h=hours, m=mins)
    return text("bot.age.minutes", lang, m=mins)


def winrate_html(summary: WinrateSummary, zone: tzinfo, lang: Lang) -> str:
    return titled(render_winrate(summary, zone, lang))


def weekly_html(report: WeeklyReport, lang: Lang) -> str:
    return titled(render_weekly(report, "text", lang))


def help_html(commands: Iterable[str], lang: Lang) -> str:
    """The commands the sender may use, in the order given."""
    lines = [f"<b>{escape(text('bot.help.title', lang))}</b>"]
    lines += [escape(text(f"bot.help.{name}", lang)) for name in commands]
    return "\n".join(lines)


def status_html(status: StoreStatus, zone: tzinfo, lang: Lang) -> str:
    counts = status.counts
    lines = [
        f"<b>{escape(text('bot.status.title', lang))}</b>",
        line("bot.status.open", lang, n=counts.open),
        line("bot.status.closed", lang, n=counts.closed),
        line(
            "bot.status.today",
            lang,
            n=counts.since,
            since=local_time(status.today_since, zone),
            zone=zone,
        ),
        line("bot.status.commands", lang, n=counts.commands),
    ]
    done = status.last_pass
    if done is None:
        lines.append(line("bot.status.no_pass", lang))
    else:
        lines.append(line(
            "bot.status.pass", lang, at=local_time(done.at, zone), source=done.source,
            checked=done.checked, closed=done.closed, wins=done.wins, losses=done.losses,
            expired=done.expired, hits=done.tp_hits, seconds=f"{done.elapsed_s:.1f}",
        ))  # fmt: skip
        if done.failures:
            lines.append(line("bot.status.pass_failures", lang, n=done.failures))
    waiting, failed = status.outbox[OutboxState.PENDING], status.outbox[OutboxState.FAILED]
    if waiting or failed:
        lines.append(line("bot.status.outbox", lang, pending=waiting, failed=failed))
    lines += [escape(row) for row in latest_lines(status.jobs, JOBS, zone, lang)]
    kept = status.journal
    if kept is not None and (kept.backlog or kept.bad_lines or kept.store_down_since):
        lines += [escape(row) for row in journal_text(kept, zone, lang).splitlines()]
    lines.append(line("bot.status.store", lang, store=status.store))
    return "\n".join(lines)


def open_html(found: OpenList, lang: Lang) -> str:
    lines = [f"<b>{escape(text('bot.open.title', lang, n=found.total))}</b>"]
    if not found.views:
        lines.append(escape(text("bot.open.none", lang)))
    for view in found.views:
        lines += _open_lines(view, lang)
    if found.total > len(found.views):
        lines.append(line("bot.open.more", lang, n=found.total - len(found.views)))
    return "\n".join(lines)


def _open_lines(view: OpenSignalView, lang: Lang) -> list[str]:
    s = view.record.signal
    first = line("bot.open.row", lang, symbol=s.symbol, side=s.side.value,
                 timeframe=s.timeframe.value, age=age_text(view.age, lang),
                 entry=price_text(s.entry))  # fmt: skip
    first += f" · <code>{escape(view.record.signal_id)}</code>"
    if view.price is None:
        return [first, line("bot.open.no_price", lang)]
    return [first, line(
        "bot.open.distances", lang, price=price_text(view.price), n=view.next_target,
        to_target=format_pct(view.to_target_pct, signed=True, digits=2),
        to_stop=format_pct(view.to_stop_pct, signed=True, digits=2),
    )]  # fmt: skip


def breakdown_html(
    result: Breakdown, lang: Lang, since: datetime, until: datetime, zone: tzinfo
) -> str:
    """The breakdown as a compact monospace table (fits a phone), best ▲ and worst ▼
    marked, the ranking rule below."""
    full = breakdown_table(result, lang, since, until, zone)
    marked = min(3, len(result.best) // 2)  # top and bottom, never the same row
    best = {row.key for row in result.best[:marked]}
    worst = {row.key for row in result.worst[:marked]} - best
    rows = tuple(_compact_row(row, best, worst, lang) for row in result.rows)
    table = TextTable(columns=(result.by.value, "n", "W-L", "WR", "PnL", ""), rows=rows,
                      left=frozenset({result.by.value, ""}))  # fmt: skip
    parts = [f"<b>{escape(full.title)}</b>"]
    if rows:
        parts.append(pre(plain_table(table)))
    marks = [text("bot.stats.mark_best", lang), text("bot.stats.mark_worst", lang)]
    parts.append(escape(" · ".join(marks) + "\n" + full.caption))
    return "\n".join(parts)


def _compact_row(row: GroupSummary, best: set[str], worst: set[str], lang: Lang) -> tuple[str, ...]:
    mark = "▲" if row.key in best else "▼" if row.key in worst else ""
    if row.is_too_few:
        mark = (mark + " " + text("stats.too_few", lang)).strip()
    return (row.key, str(row.n), f"{row.wins}-{row.losses}", rate_text(row.winrate),
            format_pct(row.avg_pnl_pct, signed=True), mark)  # fmt: skip


def closed_html(
    record: SignalRecord | Journaled, actor: str, lang: Lang, note: str | None = None
) -> str:
    """The answer to /close and /cancel, with the note the admin gave (and, when the store
    did not answer, that it waits in the journal)."""
    if record.result is Result.CANCELLED:
        head = line("bot.cancelled", lang, signal_id=record.signal_id, actor=actor)
    else:
        head = line("bot.closed", lang, signal_id=record.signal_id,
                    result=record.result.value if record.result else NO_VALUE,
                    pnl=format_pct(record.pnl_pct, signed=True), actor=actor)  # fmt: skip
    kept = f"\n{line('journal.kept', lang)}" if isinstance(record, Journaled) else ""
    return head + (f"\n📝 {escape(note)}" if note else "") + kept


def announcement_html(item: Announcement, lang: Lang) -> str:
    """A TP hit or a close, as posted to the announcements chat."""
    base = {"symbol": item.symbol, "side": item.side.value, "timeframe": item.timeframe}
    held = age_text(item.at - item.created_at, lang)
    data = item.data
    if item.kind is EventKind.TP_HIT:
        price = data.get("price")
        head = line(
            "bot.announce.tp_hit",
            lang,
            **base,
            target=data.get("target", "?"),
            price=price_text(price if isinstance(price, float | int) else None),
        )
        return f"<b>{head}</b>\n" + line("bot.announce.held", lang, held=held)
    result = str(data.get("result") or NO_VALUE)
    icon = next((v for k, v in RESULT_ICONS.items() if k.value == result), "•")
    head = line("bot.announce.closed", lang, **base, icon=icon, result=result,
                reason=data.get("exit_reason") or NO_VALUE)  # fmt: skip
    pnl, r = _number(data.get("pnl_pct")), _number(data.get("r_multiple"))
    lines = [
        f"<b>{head}</b>",
        line(
            "bot.announce.pnl",
            lang,
            pnl=format_pct(pnl, signed=True, digits=2),
            r=NO_VALUE if r is None else f"{r:+.2f}R",
            held=held,
        ),
    ]
    if data.get("ambiguous") == "yes":
        lines.append(line("bot.announce.ambiguous", lang))
    return "\n".join(lines)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, float | int) and not isinstance(value, bool) else None


class TargetOutcome(Protocol):
    """One target of a backup, as services/backups.TargetResult holds it."""

    @property
    def target(self) -> str: ...
    @property
    def location(self) -> str | None: ...
    @property
    def verified(self) -> bool: ...
    @property
    def error(self) -> str | None: ...


def backup_html(backup_id: str, targets: Sequence[TargetOutcome], lang: Lang) -> str:
    """Where a backup went and whether each copy verified (/upload_logs, the panel)."""
    lines = [f"<b>{escape(text('bot.backup.title', lang, backup_id=backup_id))}</b>"]
    for t in targets:
        if t.error:
            lines.append(line("bot.backup.failed", lang, target=t.target, error=t.error))
        else:
            key = "bot.backup.verified" if t.verified else "bot.backup.unverified"
            lines.append(line(key, lang, target=t.target, location=t.location))
    return "\n".join(lines)


def answer_text(answer: FeedbackAnswer, lang: Lang) -> str:
    return text(f"bot.feedback.answer.{answer.value}", lang)


def feedback_saved_text(answer: FeedbackAnswer, previous: FeedbackAnswer | None, lang: Lang) -> str:
    """The short toast a receiver sees after tapping (plain text: callback answers)."""
    if previous is None or previous is answer:
        return text("bot.feedback.saved", lang, answer=answer_text(answer, lang))
    return text("bot.feedback.changed", lang, previous=answer_text(previous, lang),
                answer=answer_text(answer, lang))  # fmt: skip


def feedback_html(summary: FeedbackSummary, lang: Lang, *, rows: int = 15) -> str:
    lines = [f"<b>{escape(text('bot.feedback.title', lang, days=summary.days))}</b>"]
    if not summary.tallies:
        lines.append(escape(text("bot.feedback.none", lang)))
        return "\n".join(lines)
    lines.append(_group_line(text("bot.feedback.taken", lang), summary.taken, lang))
    lines.append(_group_line(text("bot.feedback.skipped_group", lang), summary.skipped, lang))
    for tally in summary.tallies[:rows]:
        lines.append(line(
            "bot.feedback.row", lang, symbol=tally.symbol, signal_id=tally.signal_id,
            took=tally.took, base=tally.receivers or tally.answered,
            share=rate_text(tally.took_share), skipped=tally.skipped,
        ))  # fmt: skip
    return "\n".join(lines)


def _group_line(label: str, s: CountSummary, lang: Lang) -> str:
    low, high = s.interval if s.interval else (None, None)
    return line("bot.feedback.group", lang, label=label, n=s.total, rate=rate_text(s.winrate),
                low=rate_text(low), high=rate_text(high),
                pnl=format_pct(s.avg_pnl_pct, signed=True))  # fmt: skip
