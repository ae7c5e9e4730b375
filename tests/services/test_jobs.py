"""The jobs service over the run ledger of a real store (SQLite and PostgreSQL): each slot
runs once across processes and restarts, late slots catch up within their grace, missed
ones and final failures are told once. The clock is an argument: nothing sleeps."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from factories import settings_for
from sigtrack.bootstrap import App, build_app
from sigtrack.core.jobs import RunState
from sigtrack.core.schedule import Grace, parse_schedule
from sigtrack.services.jobs import Job, JobsService

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
TUESDAY_23 = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # Tuesday 23:00 WIB


class Recorder:
    """A job's body that counts its runs; the runs of `failing` slots fail `fail` times."""

    def __init__(self, fail: int = 0, failing: tuple[datetime, ...] = ()) -> None:
        self.runs: list[tuple[datetime, datetime]] = []
        self.fail, self.failing, self.failed = fail, failing, 0
        self.lock = threading.Lock()

    def __call__(self, slot: datetime, now: datetime) -> Mapping[str, object]:
        with self.lock:
            self.runs.append((slot, now))
            if slot in self.failing and self.failed < self.fail:
                self.failed += 1
                raise RuntimeError(f"boom {self.failed}")
        return {"slot": slot.isoformat()}


class Told:
    def __init__(self) -> None:
        self.messages: list[tuple[str, Mapping[str, object]]] = []
        self.lock = threading.Lock()

    def __call__(self, key: str, values: Mapping[str, object]) -> None:
        with self.lock:
            self.messages.append((key, values))


@pytest.fixture
def apps(db_url: str) -> Iterator[tuple[App, App]]:
    """Two processes' services on one store."""
    one, two = build_app(settings_for(db_url)), build_app(settings_for(db_url))
    yield one, two
    one.store.dispose()
    two.store.dispose()


def service(app: App, weekly: Recorder, backup: Recorder, told: Told) -> JobsService:
    jobs = [
        Job(name="weekly_report", schedule=parse_schedule("mon 09:00", "w"), grace=Grace.DAY,
            run=weekly),
        Job(name="backup", schedule=parse_schedule("23:00", "b"), grace=Grace.PERIOD,
            run=backup),
    ]  # fmt: skip
    return JobsService(app.store, jobs, zone=JAKARTA, notify=told)


def test_two_processes_at_the_same_monday_nine_run_the_report_once(
    apps: tuple[App, App],
) -> None:
    weekly, backup, told = Recorder(), Recorder(), Told()
    first, second = (service(app, weekly, backup, told) for app in apps)
    first.run_due(now=MONDAY_9 - timedelta(days=1))  # both were up the day before
    start = threading.Barrier(2)
    results: list[object] = []

    def tick(jobs: JobsService) -> None:
        start.wait()
        results.append(jobs.run_due(now=MONDAY_9 + timedelta(seconds=5)))

    threads = [threading.Thread(target=tick, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert weekly.runs == [(MONDAY_9, MONDAY_9 + timedelta(seconds=5))]
    [run] = [r for r in apps[0].store.job_runs("weekly_report") if r.slot == MONDAY_9]
    assert (run.state, run.attempts, run.detail) == (RunState.DONE, 1,
                                                     {"slot": MONDAY_9.isoformat()})  # fmt: skip
    assert told.messages == []


def test_a_restart_within_the_grace_window_catches_up_once(apps: tuple[App, App]) -> None:
    weekly, backup, told = Recorder(), Recorder(), Told()
    jobs = service(apps[0], weekly, backup, told)
    jobs.run_due(now=MONDAY_9 - timedelta(minutes=1))  # up at 08:59, then down until 15:00
    assert weekly.runs == []

    later = MONDAY_9 + timedelta(hours=6)  # 15:00 WIB, still that Monday
    outcomes = service(apps[1], weekly, backup, told).run_due(now=later)
    again = service(apps[1], weekly, backup, told).run_due(now=later + timedelta(minutes=1))

    assert weekly.runs == [(MONDAY_9, later)]
    assert [(o.job, o.state) for o in outcomes] == [("weekly_report", RunState.DONE)]
    assert again == []


def test_a_slot_past_its_grace_is_recorded_missed_and_told_once(apps: tuple[App, App]) -> None:
    weekly, backup, told = Recorder(), Recorder(), Told()
    service(apps[0], weekly, backup, told).run_due(now=MONDAY_9 - timedelta(hours=2))
    tuesday = MONDAY_9 + timedelta(days=1)  # the Monday ended without sigtrack running

    for app in apps:  # two processes come back
        service(app, weekly, backup, told).run_due(now=tuesday)
    service(apps[0], weekly, backup, told).run_due(now=tuesday + timedelta(hours=1))

    assert weekly.runs == []
    assert [k for k, v in told.messages if v["job"] == "weekly_report"] == ["jobs.missed"]
    [run] = [r for r in apps[0].store.job_runs("weekly_report") if r.slot == MONDAY_9]
    assert (run.state, run.told) == (RunState.MISSED, True)


def test_the_backup_at_23_wib_runs_when_the_utc_date_is_still_the_day_before(
    apps: tuple[App, App],
) -> None:
    weekly, backup, told = Recorder(), Recorder(), Told()
    jobs = service(apps[0], weekly, backup, told)
    jobs.run_due(now=TUESDAY_23 - timedelta(hours=1))  # 22:00 WIB, 15:00 UTC
    jobs.run_due(now=TUESDAY_23 + timedelta(minutes=30))  # 23:30 WIB, Tuesday 16:30 UTC
    jobs.run_due(now=TUESDAY_23 + timedelta(hours=1, minutes=30))  # 00:30 WIB Wednesday

    monday_23 = TUESDAY_23 - timedelta(days=1)  # caught up at the first start, 22:00
    assert backup.runs == [(monday_23, TUESDAY_23 - timedelta(hours=1)),
                           (TUESDAY_23, TUESDAY_23 + timedelta(minutes=30))]  # fmt: skip
    assert TUESDAY_23.astimezone(JAKARTA).date() == TUESDAY_23.date()  # 23:00 WIB = 16:00 UTC
    assert (TUESDAY_23 + timedelta(hours=1, minutes=30)).astimezone(JAKARTA).day == 2


def test_a_failed_run_is_retried_on_later_ticks_then_told_once(apps: tuple[App, App]) -> None:
    weekly, backup, told = Recorder(), Recorder(fail=5, failing=(TUESDAY_23,)), Told()
    jobs = service(apps[0], weekly, backup, told)
    jobs.run_due(now=TUESDAY_23 - timedelta(minutes=5))

    ticks = [TUESDAY_23 + timedelta(minutes=m) for m in range(6)]
    states = [[o.state for o in jobs.run_due(now=t) if o.job == "backup"] for t in ticks]

    assert states == [[RunState.FAILED]] * 3 + [[]] * 3  # three attempts, then no more
    assert [k for k, _ in told.messages] == ["jobs.failed"]
    assert told.messages[0][1]["attempts"] == 3 and "boom 3" in str(told.messages[0][1]["error"])
    assert told.messages[0][1]["slot"] == TUESDAY_23
    [run] = [r for r in apps[0].store.job_runs("backup") if r.slot == TUESDAY_23]
    assert (run.state, run.attempts, run.told) == (RunState.FAILED, 3, True)


def test_a_retry_that_succeeds_is_done_and_nothing_is_told(apps: tuple[App, App]) -> None:
    weekly, backup, told = Recorder(), Recorder(fail=1, failing=(TUESDAY_23,)), Told()
    jobs = service(apps[0], weekly, backup, told)
    jobs.run_due(now=TUESDAY_23 - timedelta(minutes=5))

    jobs.run_due(now=TUESDAY_23)
    jobs.run_due(now=TUESDAY_23 + timedelta(minutes=1))

    [run] = [r for r in apps[0].store.job_runs("backup") if r.slot == TUESDAY_23]
    assert (run.state, run.attempts, run.error) == (RunState.DONE, 2, None)
    assert told.messages == []


def test_slots_before_the_job_was_first_seen_are_not_missed(apps: tuple[App, App]) -> None:
    weekly, backup, told = Recorder(), Recorder(), Told()

    friday = TUESDAY_23 + timedelta(days=3, hours=-1)  # Friday 22:00 WIB
    service(apps[0], weekly, backup, told).run_due(now=friday)

    assert told.messages == []  # a month of earlier slots, none of them "missed"
    assert backup.runs == [(TUESDAY_23 + timedelta(days=2), friday)]  # Thursday's, in grace
    assert weekly.runs == []  # Monday's report: its day ended before the job was first seen


def test_a_run_whose_process_died_is_taken_over_after_the_lease(apps: tuple[App, App]) -> None:
    weekly, backup, told = Recorder(), Recorder(), Told()
    jobs = service(apps[0], weekly, backup, told)
    jobs.run_due(now=TUESDAY_23 - timedelta(minutes=5))
    died = apps[0].store.claim_slot("backup", TUESDAY_23, now=TUESDAY_23, max_attempts=3,
                                    lease_s=3600)  # fmt: skip
    assert died == 1

    jobs.run_due(now=TUESDAY_23 + timedelta(minutes=30))  # within the lease: not ours
    jobs.run_due(now=TUESDAY_23 + timedelta(hours=1, minutes=1))

    assert backup.runs[1:] == [(TUESDAY_23, TUESDAY_23 + timedelta(hours=1, minutes=1))]


def test_status_shows_the_runs_the_next_slot_and_the_missed(apps: tuple[App, App]) -> None:
    weekly, backup, told = Recorder(), Recorder(), Told()
    jobs = service(apps[0], weekly, backup, told)
    jobs.run_due(now=MONDAY_9 - timedelta(hours=1))
    jobs.run_due(now=MONDAY_9 + timedelta(days=1))  # Monday's report missed

    status = {s.job: s for s in jobs.status(now=MONDAY_9 + timedelta(days=1))}

    assert [r.state for r in status["weekly_report"].missed] == [RunState.MISSED]
    assert status["weekly_report"].next_slot == MONDAY_9 + timedelta(days=7)
    assert status["backup"].runs[0].state is RunState.DONE
