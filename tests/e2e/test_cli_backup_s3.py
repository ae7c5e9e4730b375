"""Backups to a real S3 server on loopback (moto's server mode) through the CLI: a
PostgreSQL store backed up to the bucket restores into an empty SQLite file with the same
numbers and `--verify` proves it; a damaged object is caught; the scheduled job backs up
to the bucket and a server that is down fails the run, which the next tick retries."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import Cli, file_signal, run_quiet, write_lines

from s3_server import S3Server, s3_server_fixture  # noqa: F401  (the `s3_server` fixture)
from sigtrack.core.backups import backup_time

AS_OF = "2026-01-12T10:00:00+07:00"


def fill(url: str, folder: Path) -> None:
    created = ["2026-01-08T10:00:00+07:00", "2026-01-09T10:00:00+07:00",
               "2026-01-10T10:00:00+07:00", "2026-01-11T10:00:00+07:00"]  # fmt: skip
    lines = [file_signal(created_at=c, symbol=s, receivers=[1, 2])
             for c, s in zip(created, ["BTCUSDT", "ETHUSDT", "BTCUSDT", "SOLUSDT"],
                             strict=True)]  # fmt: skip
    ids = run_quiet(url, "track", "--file", write_lines(folder / "s.jsonl", lines)).split()
    for signal_id, result, pnl in [(ids[0], "win", "2.5"), (ids[1], "loss", "-1.5")]:
        run_quiet(url, "close", signal_id, "--result", result, "--pnl", pnl)


def numbers(cli: Cli) -> list[object]:
    return [
        cli("winrate", "--days", "7", "--as-of", AS_OF, "--json").json(),
        cli("stats", "--by", "symbol", "--since", "2026-01-01", "--until", "2026-01-12",
            "--min-n", "1", "--json").json(),
        [{k: v for k, v in s.items()} for s in cli("list", "--json").json()],
    ]  # fmt: skip


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.create_bucket()


def test_a_postgresql_store_in_the_bucket_restores_into_sqlite_with_the_same_numbers(
    pg_cli: Cli, cli: Cli, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    fill(pg_cli.db_url, tmp_path)
    target = f"s3://{bucket}/daily"

    backed = pg_cli("backup", "--to", target, "--json")
    report = backed.json()
    checked = pg_cli("backup", "--verify", target, "--json")
    verified = checked.json()
    restored = cli("restore", f"{target}/{report['backup_id']}")

    assert report["ok"] is True and report["targets"][0]["verified"] is True
    assert verified["ok"] is True
    assert numbers(cli) == numbers(pg_cli)
    keys = s3_server.keys(bucket, "daily/")
    assert f"daily/{report['backup_id']}/manifest.json" in keys
    secret = s3_server.credentials.secret_access_key
    assert all(secret not in run.out + run.err for run in (backed, checked, restored))


def test_a_damaged_object_in_the_bucket_fails_verification_naming_it(
    cli: Cli, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    fill(cli.db_url, tmp_path)
    report = cli("backup", "--to", f"s3://{bucket}/p", "--json").json()
    name = f"p/{report['backup_id']}/tables/signals.jsonl.gz"
    client = s3_server.client()
    head = client.head_object(Bucket=bucket, Key=name)
    body = bytearray(client.get_object(Bucket=bucket, Key=name)["Body"].read())
    body[len(body) // 2] ^= 0x01
    client.put_object(Bucket=bucket, Key=name, Body=bytes(body), Metadata=head["Metadata"])

    run = cli("backup", "--verify", f"s3://{bucket}/p", code=1)

    assert "signals.jsonl.gz" in run.err


def test_the_scheduled_backup_goes_to_the_bucket_and_a_down_server_is_retried(
    cli: Cli, s3_server: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(cli.db_url, tmp_path)
    monkeypatch.setenv("SIGTRACK_BACKUP_TO", f"s3://{bucket}/nightly")
    cli("jobs", "run-due", "--as-of", "2026-01-13T22:00:00+07:00")  # first seen: catches up

    with s3_server.fail_requests(after=0, methods={"PUT"}):
        failed = cli("jobs", "run-due", "--as-of", "2026-01-13T23:01:00+07:00", code=1)
    retried = cli("jobs", "run-due", "--as-of", "2026-01-13T23:02:00+07:00")
    status = cli("jobs", "status", "--json", "--as-of", "2026-01-13T23:03:00+07:00").json()

    assert "Backup 2026-01-13 23:00 (Asia/Jakarta): failed" in failed.out
    assert "nightly" in failed.out
    assert "Backup 2026-01-13 23:00 (Asia/Jakarta): done" in retried.out
    [backup] = [job for job in status if job["job"] == "backup"]
    latest = backup["runs"][0]
    assert (latest["state"], latest["attempts"]) == ("done", 2)
    ids = {key.split("/")[1] for key in s3_server.keys(bucket, "nightly/")}
    # the catch-up's and the 23:00 one's day is one day: retention keeps its newest only
    assert [i for i in ids if backup_time(i)] == ["sigtrack-20260113T160200Z"]
