"""`/healthz` as JSON: the store reachable, the last settling pass, the last run of each
job, the last verified backup."""

from __future__ import annotations

from datetime import tzinfo

from sigtrack.core.bot_records import Health, PassRecord
from sigtrack.core.render.jobs import run_json
from sigtrack.core.render.journal import status_json
from sigtrack.core.render.values import Json, iso


def health_json(health: Health, zone: tzinfo) -> Json:
    status, backup = health.status, health.last_backup
    shown: Json = {
        "ok": health.ok,
        "zone": str(zone),
        "store": {"reachable": health.ok, "name": health.store, "error": health.error},
        "signals": None,
        "last_pass": None,
        "outbox": None,
        "jobs": [],
        "last_verified_backup": None if backup is None else run_json(backup, zone),
        "journal": None if health.journal is None else status_json(health.journal, zone),
    }
    if status is not None:
        counts = status.counts
        shown["signals"] = {"open": counts.open, "closed": counts.closed, "today": counts.since}
        if status.last_pass is not None:
            shown["last_pass"] = pass_record_json(status.last_pass, zone)
        shown["outbox"] = {state.value: n for state, n in status.outbox.by_state.items()}
        shown["jobs"] = [run_json(run, zone) for run in status.jobs]
    return shown


def pass_record_json(record: PassRecord, zone: tzinfo) -> Json:
    return {
        "at": iso(record.at, zone),
        "source": record.source,
        "checked": record.checked,
        "symbols": record.symbols,
        "closed": record.closed,
        "tp_hits": record.tp_hits,
        "wins": record.wins,
        "losses": record.losses,
        "expired": record.expired,
        "failures": record.failures,
        "elapsed_s": record.elapsed_s,
    }
