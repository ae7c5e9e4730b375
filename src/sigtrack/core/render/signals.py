"""One signal and lists of them: the JSON views (CLI `--json`, the HTTP API) and the text tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from sigtrack.core.journal import Journaled
from sigtrack.core.outcomes import Outcome, ms_to_datetime
from sigtrack.core.records import SignalEvent, SignalRecord
from sigtrack.core.render.tables import TextTable
from sigtrack.core.render.values import Json, iso
from sigtrack.core.texts import NO_VALUE


def record_json(record: SignalRecord, zone: tzinfo) -> Json:
    fields = record.fields()
    return fields | {
        "created_at": iso(fields["created_at"], zone),
        "closed_at": iso(fields["closed_at"], zone),
        **outcome_json(record.outcome, zone),
    }


def closing_json(done: SignalRecord | Journaled, zone: tzinfo) -> Json:
    """What a close or a cancel answers: the signal, or the journaled close when the store
    did not answer (`"journaled": true`; applied when it answers again)."""
    if isinstance(done, SignalRecord):
        return record_json(done, zone)
    return {
        "signal_id": done.signal_id,
        "result": done.result.value,
        "pnl_pct": done.pnl_pct,
        "closed_at": iso(done.closed_at, zone),
        "journaled": True,
        "op_id": done.op_id,
    }


def outcome_json(outcome: Outcome | None, zone: tzinfo) -> Json:
    """The settling details (all None until a pass has read candles for the signal)."""
    o = outcome
    return {
        "r_multiple": o.r_multiple if o else None,
        "ambiguous": o.is_ambiguous if o else None,
        "rule": o.rule if o else None,
        "mfe_pct": o.mfe_pct if o else None,
        "mae_pct": o.mae_pct if o else None,
        "horizon_mfe_pct": o.horizon_mfe_pct if o else None,
        "horizon_mae_pct": o.horizon_mae_pct if o else None,
        "horizon_complete": o.horizon_complete if o else None,
        "gaps": o.gaps if o else None,
        "settled_through": iso(ms_to_datetime(o.progress.next_ms), zone) if o else None,
        "legs": [
            {
                "target": leg.target,
                "fraction": leg.fraction,
                "hit_at": iso(ms_to_datetime(leg.hit_ms), zone),
                "exit_at": iso(ms_to_datetime(leg.exit_ms), zone),
                "exit_price": leg.exit_price,
            }
            for leg in o.legs
        ]
        if o
        else [],
    }


def event_json(event: SignalEvent, zone: tzinfo) -> Json:
    return {
        "kind": event.kind.value,
        "at": iso(event.at, zone),
        "actor": event.actor,
        "note": event.note,
        "data": dict(event.data),
    }


def signal_view(record: SignalRecord, events: Sequence[SignalEvent], zone: tzinfo) -> Json:
    """One signal with its history (`show`)."""
    return record_json(record, zone) | {"events": [event_json(e, zone) for e in events]}


def signal_detail_table(view: Json) -> TextTable:
    """`signal_view` as field / value rows (the history apart: `history_lines`)."""
    rows = tuple(
        (key, NO_VALUE if value is None else str(value))
        for key, value in view.items()
        if key != "events"
    )
    return TextTable(columns=("field", "value"), rows=rows, left=frozenset({"field", "value"}),
                     show_header=False)  # fmt: skip


def history_lines(view: Json) -> list[str]:
    lines = ["history:"]
    for e in view["events"]:
        note = f" ({e['note']})" if e["note"] else ""
        lines.append(f"  {e['at']}  {e['kind']:<9} by {e['actor']}{note}  {e['data']}")
    return lines


LIST_COLUMNS = ("signal_id", "created", "symbol", "side", "tf", "entry", "tp1", "sl", "status",
                "result", "pnl %")  # fmt: skip


def signal_list_table(records: Sequence[SignalRecord], zone: tzinfo) -> TextTable:
    """The `list` table: one row per signal, times in the display zone."""
    rows = []
    for r in records:
        s = r.signal
        rows.append((
            r.signal_id, s.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), s.symbol,
            s.side.value, s.timeframe.value, f"{s.entry:g}", f"{s.tp1:g}", f"{s.stop:g}",
            r.status.value, r.result or NO_VALUE,
            NO_VALUE if r.pnl_pct is None else f"{r.pnl_pct:+.2f}",
        ))  # fmt: skip
    return TextTable(columns=LIST_COLUMNS, rows=tuple(rows), left=frozenset(LIST_COLUMNS),
                     caption=f"{len(records)} signal(s)")  # fmt: skip
