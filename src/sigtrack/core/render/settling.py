"""A settling pass for people (a summary and a screenful of examples) and for programs (JSON).

The pass's values are the core's (`core/pass_report.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import tzinfo
from itertools import islice

from sigtrack.core.pass_report import Change, PassReport
from sigtrack.core.render.values import Json, iso
from sigtrack.core.signals import Status
from sigtrack.core.texts import Lang, format_pct, text

EXAMPLE_LINES = 20  # a screenful: the rest is counted, and --json lists every change


def pass_text(
    report: PassReport, zone: tzinfo, lang: Lang, *, examples: int = EXAMPLE_LINES
) -> str:
    """The summary, at most `examples` lines of TP hits and closes, then the symbols not read."""
    lines = [
        text(
            "settle.summary", lang, checked=report.checked, symbols=report.symbols,
            closed=report.closed_count, hits=report.tp_hits, open=report.still_open,
        ),
        text(
            "settle.results", lang, wins=report.wins, losses=report.losses,
            expired=report.expired, seconds=f"{report.elapsed_s:.1f}",
        ),
    ]  # fmt: skip
    if report.claimed_elsewhere:  # monitors sharing one store: the rest was theirs
        lines.append(text("settle.elsewhere", lang, count=report.claimed_elsewhere))
    lines += islice(_change_lines(report.changes, zone, lang), examples)
    total = report.tp_hits + report.closed_count
    if total > examples:
        lines.append(text("settle.more", lang, count=f"{total - examples:,}"))
    lines += [text("settle.failed", lang, symbol=s, reason=r) for s, r in report.failures]
    return "\n".join(lines)


def _change_lines(changes: Iterable[Change], zone: tzinfo, lang: Lang) -> Iterator[str]:
    """A line per TP hit and per close (a change may make several)."""
    for change in changes:
        for number in change.new_hits:
            at = iso(change.hit_at[number - 1], zone)
            yield text("settle.tp_hit", lang, signal_id=change.signal_id, target=number, at=at)
        if change.status is Status.CLOSED:
            ambiguous = text("settle.ambiguous", lang, rule=change.rule)
            yield text(
                "settle.closed",
                lang,
                signal_id=change.signal_id,
                result=change.result,
                reason=change.exit_reason,
                pnl=format_pct(change.pnl_pct, signed=True, digits=2),
                at=iso(change.closed_at, zone),
                ambiguous=ambiguous if change.is_ambiguous else "",
            )


def pass_json(report: PassReport, zone: tzinfo) -> Json:
    """The pass with every change stored."""
    return {
        "checked": report.checked,
        "symbols": report.symbols,
        "symbols_settled_elsewhere": report.claimed_elsewhere,
        "rule": report.rule,
        "closed": report.closed_count,
        "tp_hits": report.tp_hits,
        "wins": report.wins,
        "losses": report.losses,
        "expired": report.expired,
        "still_open": report.still_open,
        "elapsed_s": round(report.elapsed_s, 3),
        "changes": changes_json(report.changes, zone),
        "failures": [{"symbol": s, "reason": r} for s, r in report.failures],
    }


def changes_json(changes: Iterable[Change], zone: tzinfo) -> Sequence[Json]:
    return [
        {
            "signal_id": change.signal_id,
            "new_tp_hits": list(change.new_hits),
            "status": change.status.value,
            "result": change.result.value if change.result else None,
            "exit_reason": change.exit_reason.value if change.exit_reason else None,
            "pnl_pct": change.pnl_pct,
            "r_multiple": change.r_multiple,
            "closed_at": iso(change.closed_at, zone),
            "ambiguous": change.is_ambiguous,
        }
        for change in changes
    ]
