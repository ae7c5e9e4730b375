"""The manifest, the comparison verify makes, backup ids and retention."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sigtrack.core.backups import (
    FileDigest,
    Manifest,
    TableDigest,
    backup_id,
    backup_time,
    compare_files,
    compare_tables,
    retain,
)
from sigtrack.core.errors import BackupError

AT = datetime(2026, 11, 23, 16, 0, 5, tzinfo=UTC)  # 23:00:05 in Jakarta, a Monday
FILES = {
    "tables/signals.jsonl.gz": FileDigest(sha256="a" * 64, size=120),
    "store.sqlite": FileDigest(sha256="b" * 64, size=4096),
}
TABLES = {"signals": TableDigest(rows=3, sha256="c" * 64)}


def manifest(**changes: object) -> Manifest:
    values: dict[str, object] = {
        "sigtrack_version": "0.1.0",
        "schema_revision": "0006",
        "created_at": AT,
        "backend": "sqlite",
        "files": FILES,
        "tables": TABLES,
    }
    return Manifest(**{**values, **changes})  # type: ignore[arg-type]


def test_a_manifest_comes_back_from_its_json_equal() -> None:
    original = manifest(created_at=AT.astimezone(ZoneInfo("Asia/Jakarta")))
    text = original.to_json()
    assert json.loads(text)["created_at"] == "2026-11-23T16:00:05Z"
    back = Manifest.from_json(text)
    assert back == original and back.created_at.tzinfo is UTC
    assert back.format_version == 1


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("not json", "not a sigtrack manifest"),
        ('{"format_version": 1}', "not a sigtrack manifest"),
        ('{"format_version": 9}', "format_version must be 1 (got 9)"),
    ],
)
def test_a_broken_manifest_is_a_backup_error_saying_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(BackupError, match=re.escape(needle)):
        Manifest.from_json(text)


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(BackupError, match="created_at must be aware"):
        manifest(created_at=datetime(2026, 11, 23, 16, 0))


def test_files_that_match_the_manifest_compare_clean() -> None:
    assert compare_files(FILES, dict(FILES)) == []


@pytest.mark.parametrize(
    ("found", "expected_text"),
    [
        ({"store.sqlite": FILES["store.sqlite"]}, "file tables/signals.jsonl.gz: missing"),
        (
            {**FILES, "tables/signals.jsonl.gz": FileDigest(sha256="a" * 64, size=121)},
            "file tables/signals.jsonl.gz: size must be 120 bytes (got 121)",
        ),
        (
            {**FILES, "store.sqlite": FileDigest(sha256="d" * 64, size=4096)},
            f"file store.sqlite: sha256 must be {'b' * 64} (got {'d' * 64})",
        ),
        ({**FILES, "extra.txt": FileDigest(sha256="e" * 64, size=1)},
         "file extra.txt: not in the manifest"),
    ],
)  # fmt: skip
def test_a_file_that_differs_is_named_with_how(
    found: dict[str, FileDigest], expected_text: str
) -> None:
    assert [str(m) for m in compare_files(FILES, found)] == [expected_text]


@pytest.mark.parametrize(
    ("found", "expected_text"),
    [
        ({}, "table signals: missing"),
        ({"signals": TableDigest(rows=2, sha256="c" * 64)},
         "table signals: must hold 3 row(s) (got 2)"),
        ({"signals": TableDigest(rows=3, sha256="f" * 64)},
         f"table signals: content hash must be {'c' * 64} (got {'f' * 64})"),
        ({**TABLES, "other": TableDigest(rows=0, sha256="0")}, "table other: not in the manifest"),
    ],
)  # fmt: skip
def test_a_table_that_differs_is_named_with_how(
    found: dict[str, TableDigest], expected_text: str
) -> None:
    assert [str(m) for m in compare_tables(TABLES, found)] == [expected_text]


def test_a_backup_id_is_its_utc_second_and_reads_back() -> None:
    jakarta = AT.astimezone(ZoneInfo("Asia/Jakarta"))
    assert backup_id(jakarta) == "sigtrack-20261123T160005Z"
    assert backup_time("sigtrack-20261123T160005Z") == AT
    assert backup_time("holiday-photos") is None
    with pytest.raises(BackupError):
        backup_id(datetime(2026, 11, 23))


def daily_ids(days: int, *, start: datetime = AT, per_day: int = 1) -> list[str]:
    return [
        backup_id(start - timedelta(days=d, hours=h)) for d in range(days) for h in range(per_day)
    ]


def test_retention_keeps_the_newest_of_the_last_7_days_and_of_the_last_4_weeks() -> None:
    ids = daily_ids(60)
    kept = retain(ids)
    days = sorted(ids)[-7:]
    # the newest of each ISO week: Monday 23 Nov is its own week; then the Sundays before
    weeks = [backup_id(AT - timedelta(days=d)) for d in (1, 8, 15)]
    assert set(kept.keep) == set(days) | set(weeks)
    assert len(kept.keep) == 7 + 2  # this week's and last week's newest are daily ones too
    assert set(kept.delete) == set(ids) - set(kept.keep)
    assert list(kept.keep) == sorted(kept.keep)


def test_retention_counts_days_with_backups_not_calendar_days() -> None:
    ids = [backup_id(AT - timedelta(days=d)) for d in (0, 3, 10, 30, 31)]
    assert retain(ids, keep_daily=3, keep_weekly=0).keep == tuple(sorted(ids[:3]))


def test_several_backups_of_a_day_keep_only_that_days_newest() -> None:
    ids = daily_ids(2, per_day=3)
    kept = retain(ids, keep_daily=7, keep_weekly=0)
    assert kept.keep == tuple(sorted([backup_id(AT), backup_id(AT - timedelta(days=1))]))
    assert len(kept.delete) == 4


def test_days_are_the_zones_days() -> None:
    # 16:30 and 18:00 UTC are one UTC day but two days in Jakarta (23:30 and 01:00)
    late, later = AT.replace(hour=16, minute=30), AT.replace(hour=18)
    ids = [backup_id(late), backup_id(later)]
    assert len(retain(ids, keep_daily=7, keep_weekly=0).keep) == 1
    assert len(retain(ids, keep_daily=7, keep_weekly=0, zone=ZoneInfo("Asia/Jakarta")).keep) == 2


def test_retention_never_deletes_what_is_not_a_sigtrack_backup() -> None:
    kept = retain(["my-notes", *daily_ids(10)], keep_daily=1, keep_weekly=0)
    assert "my-notes" in kept.keep and "my-notes" not in kept.delete


def test_retention_refuses_negative_counts() -> None:
    with pytest.raises(BackupError, match="keep_daily=-1"):
        retain([], keep_daily=-1)
