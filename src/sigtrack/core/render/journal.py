"""The journal as people see it: `sigtrack journal status | replay`, `/healthz`,
`jobs status` and `/signal_stats` (the backlog), id / en."""

from __future__ import annotations

from datetime import tzinfo

from sigtrack.core.journal import JournalStatus, ReplayReport
from sigtrack.core.render.values import Json, iso
from sigtrack.core.texts import Lang, text


def status_json(s: JournalStatus, zone: tzinfo) -> Json:
    return {
        "backlog": s.backlog,
        "signals": s.signals,
        "bad_lines": s.bad_lines,
        "set_aside_files": list(s.set_aside_files),
        "store_down_since": iso(s.store_down_since, zone),
        "last_error": s.last_error,
    }


def status_text(s: JournalStatus, zone: tzinfo, lang: Lang) -> str:
    lines = [text("journal.backlog", lang, n=s.backlog, signals=s.signals)]
    if s.store_down_since is not None:
        since = f"{s.store_down_since.astimezone(zone):%Y-%m-%d %H:%M}"
        lines.append(text("journal.down", lang, since=since, error=s.last_error or ""))
    if s.bad_lines:
        lines.append(text("journal.bad", lang, n=s.bad_lines))
    lines += [text("journal.set_aside", lang, path=path) for path in s.set_aside_files]
    return "\n".join(lines)


def replay_json(r: ReplayReport) -> Json:
    return {
        "applied": r.applied,
        "already_applied": r.already,
        "refused": [
            {"op_id": e.op_id, "op": e.kind.value, "signal_ids": list(e.signal_ids), "reason": why}
            for e, why in r.refused
        ],
        "set_aside": [{"line": b.number, "reason": b.reason} for b in r.set_aside],
        "error": r.error,
    }


def replay_text(r: ReplayReport, lang: Lang) -> str:
    lines = [text("journal.replayed", lang, applied=r.applied, already=r.already,
                  refused=len(r.refused))]  # fmt: skip
    lines += [f"  {e.kind.value} {', '.join(e.signal_ids)}: {why}" for e, why in r.refused]
    lines += [text("journal.line_set_aside", lang, line=b.number, reason=b.reason)
              for b in r.set_aside]  # fmt: skip
    if r.error is not None:
        lines.append(text("journal.still_down", lang, error=r.error))
    return "\n".join(lines)
