"""Backups in an S3 bucket, against a real S3 server (moto's server mode) on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from s3_server import S3Server, s3_server_fixture  # noqa: F401  (the `s3_server` fixture)
from sigtrack.adapters.backup.s3 import S3Target
from sigtrack.core.errors import BackupError, InvalidInput

BACKUP_ID = "sigtrack-20261202T160000Z"


def backup_folder(root: Path, *, extra: dict[str, bytes] | None = None) -> Path:
    """A folder as the backup builder leaves it: nested files and a manifest."""
    files = {
        "store.sqlite": os.urandom(70_000),
        "jsonl/signals.jsonl": b'{"signal_id": "1"}\n',
        "jsonl/deep/er/results.jsonl": b'{"result": "WIN"}\n',
        "manifest.json": b'{"files": {}}',
        **(extra or {}),
    }
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    return root


def contents(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def target_in(server: S3Server, bucket: str, prefix: str = "daily") -> S3Target:
    return S3Target(f"s3://{bucket}/{prefix}", endpoint_url=server.endpoint_url)


def test_a_backup_written_is_listed_and_fetched_back_byte_for_byte(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket, "sigtrack/daily")
    source = backup_folder(tmp_path / "out")

    where = target.write(BACKUP_ID, source)

    assert where == f"s3://{bucket}/sigtrack/daily/{BACKUP_ID}"
    assert target.name == f"s3://{bucket}/sigtrack/daily"
    assert target.list() == [BACKUP_ID]
    fetched = target.fetch(BACKUP_ID, tmp_path / "back")
    assert fetched == tmp_path / "back"
    assert contents(fetched) == contents(source)
    head = s3_server.client().head_object(
        Bucket=bucket, Key=f"sigtrack/daily/{BACKUP_ID}/store.sqlite"
    )
    assert (
        head["Metadata"]["sha256"] == hashlib.sha256(contents(source)["store.sqlite"]).hexdigest()
    )


def test_backups_are_listed_oldest_first_and_only_under_their_prefix(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    daily, other = target_in(s3_server, bucket, "daily"), target_in(s3_server, bucket, "other")
    source = backup_folder(tmp_path)
    for backup_id in ["sigtrack-20261203T160000Z", "sigtrack-20261201T160000Z"]:
        daily.write(backup_id, source)
    other.write("sigtrack-20261202T160000Z", source)
    bare = S3Target(f"s3://{bucket}", endpoint_url=s3_server.endpoint_url)
    bare.write("sigtrack-20261130T160000Z", source)

    assert daily.list() == ["sigtrack-20261201T160000Z", "sigtrack-20261203T160000Z"]
    assert other.list() == ["sigtrack-20261202T160000Z"]
    assert bare.name == f"s3://{bucket}"
    assert bare.list() == ["sigtrack-20261130T160000Z"]  # not daily/… nor other/…


def test_the_manifest_is_the_last_object_put(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket)
    s3_server.forget_requests()

    target.write(BACKUP_ID, backup_folder(tmp_path, extra={"zz-last-by-name.txt": b"z"}))

    puts = [r.path for r in s3_server.seen if r.method == "PUT"]
    base = f"/{bucket}/daily/{BACKUP_ID}/"
    assert len(puts) == 5
    assert puts[-1] == base + "manifest.json"
    assert sorted(puts[:-1]) == sorted(
        base + name
        for name in [
            "store.sqlite",
            "jsonl/signals.jsonl",
            "jsonl/deep/er/results.jsonl",
            "zz-last-by-name.txt",
        ]
    )


def test_a_write_failing_midway_is_removed_and_never_listed(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket)

    with s3_server.fail_requests(after=2, methods={"PUT"}), pytest.raises(BackupError) as caught:
        target.write(BACKUP_ID, backup_folder(tmp_path))

    message = str(caught.value)
    assert message.startswith(f"s3://{bucket}/daily: could not upload {BACKUP_ID}/")
    assert "ServiceUnavailable" in message
    assert "could not be removed" not in message
    assert target.list() == []
    assert s3_server.keys(bucket) == []  # the two files that made it were deleted again
    with pytest.raises(BackupError, match=f"no backup '{BACKUP_ID}'"):
        target.fetch(BACKUP_ID, tmp_path / "back")


def test_a_write_whose_cleanup_fails_too_leaves_no_manifest_and_says_so(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket)

    with (
        s3_server.fail_requests(after=3, methods={"PUT", "POST", "DELETE"}),
        pytest.raises(BackupError, match=r"3 object\(s\) could not be removed"),
    ):
        target.write(BACKUP_ID, backup_folder(tmp_path))

    left = s3_server.keys(bucket)
    assert len(left) == 3
    assert f"daily/{BACKUP_ID}/manifest.json" not in left
    assert target.list() == []  # what is left does not look like a backup


def test_an_unreachable_server_fails_in_seconds_naming_the_target(
    s3_server: S3Server, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = S3Target("s3://backups/daily", endpoint_url=f"http://127.0.0.1:{port}")
    started = time.monotonic()

    with pytest.raises(BackupError) as caught:
        target.write(BACKUP_ID, backup_folder(tmp_path))

    assert time.monotonic() - started < 20
    message = str(caught.value)
    assert message.startswith("s3://backups/daily: could not write")
    assert f"server unreachable at http://127.0.0.1:{port}" in message


def test_wrong_credentials_are_refused_with_a_clear_error_and_no_secret(
    s3_server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bucket = s3_server.create_bucket()
    source = backup_folder(tmp_path)
    caplog.set_level(logging.INFO)
    with s3_server.checking_credentials() as good:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", good.access_key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", good.secret_access_key)
        target_in(s3_server, bucket).write("sigtrack-good", source)  # the key works

        wrong_secret = "wrong-" + good.secret_access_key
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong_secret)
        with pytest.raises(BackupError) as bad_secret:
            target_in(s3_server, bucket).write(BACKUP_ID, source)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOSUCHKEY0000000")
        with pytest.raises(BackupError) as bad_key:
            target_in(s3_server, bucket).list()

    for caught, code in [(bad_secret, "SignatureDoesNotMatch"), (bad_key, "InvalidAccessKeyId")]:
        message = str(caught.value)
        assert message.startswith(f"s3://{bucket}/daily: ")
        assert f"wrong credentials: the server refused the access key or secret ({code})" in message
        assert wrong_secret not in message
        assert good.secret_access_key not in message
    assert wrong_secret not in caplog.text
    assert good.secret_access_key not in caplog.text
    assert s3_server.keys(bucket, f"daily/{BACKUP_ID}/") == []
    assert target_in(s3_server, bucket).list() == ["sigtrack-good"]


def test_a_missing_bucket_is_named_in_the_error(s3_server: S3Server, tmp_path: Path) -> None:
    target = target_in(s3_server, "no-such-bucket")

    with pytest.raises(BackupError) as writing:
        target.write(BACKUP_ID, backup_folder(tmp_path))
    with pytest.raises(BackupError) as listing:
        target.list()

    for caught in (writing, listing):
        assert str(caught.value).startswith("s3://no-such-bucket/daily: ")
        assert f"bucket 'no-such-bucket' does not exist at {s3_server.endpoint_url}" in str(
            caught.value
        )


def test_a_tampered_object_fails_the_fetch_naming_it(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket)
    target.write(BACKUP_ID, backup_folder(tmp_path / "out"))
    key = f"daily/{BACKUP_ID}/jsonl/signals.jsonl"
    client = s3_server.client()
    metadata = client.head_object(Bucket=bucket, Key=key)["Metadata"]
    client.put_object(Bucket=bucket, Key=key, Body=b'{"signal_id": "2"}\n', Metadata=metadata)

    with pytest.raises(BackupError) as caught:
        target.fetch(BACKUP_ID, tmp_path / "back")

    assert str(caught.value).startswith(
        f"s3://{bucket}/daily: {BACKUP_ID}/jsonl/signals.jsonl is damaged: sha256 "
    )
    client.put_object(Bucket=bucket, Key=key, Body=b"no metadata at all")
    with pytest.raises(BackupError, match=r"jsonl/signals\.jsonl has no sha256 metadata"):
        target.fetch(BACKUP_ID, tmp_path / "again")


def test_a_half_uploaded_backup_is_neither_listed_nor_fetched(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    s3_server.client().put_object(Bucket=bucket, Key=f"daily/{BACKUP_ID}/store.sqlite", Body=b"x")
    target = target_in(s3_server, bucket)

    assert target.list() == []
    with pytest.raises(BackupError) as caught:
        target.fetch(BACKUP_ID, tmp_path)
    assert str(caught.value) == (
        f"s3://{bucket}/daily: no backup '{BACKUP_ID}' (no manifest.json under it)"
    )
    with pytest.raises(BackupError, match="already holds objects; not overwritten"):
        target.write(BACKUP_ID, backup_folder(tmp_path / "out"))
    assert s3_server.keys(bucket) == [f"daily/{BACKUP_ID}/store.sqlite"]


def test_delete_removes_the_manifest_first_then_the_rest(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket)
    source = backup_folder(tmp_path)
    target.write(BACKUP_ID, source)
    target.write("sigtrack-20261203T160000Z", source)
    s3_server.forget_requests()

    target.delete(BACKUP_ID)

    changes = [(r.method, r.path) for r in s3_server.seen if r.method in {"DELETE", "POST"}]
    assert changes == [
        ("DELETE", f"/{bucket}/daily/{BACKUP_ID}/manifest.json"),
        ("POST", f"/{bucket}"),  # DeleteObjects: the other files in one batch
    ]
    assert target.list() == ["sigtrack-20261203T160000Z"]
    assert all(not key.startswith(f"daily/{BACKUP_ID}/") for key in s3_server.keys(bucket))
    assert len(s3_server.keys(bucket)) == 4


def test_more_than_a_thousand_objects_are_listed_and_deleted(s3_server: S3Server) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket)
    big = {f"daily/sigtrack-20261201T160000Z/jsonl/part-{n:04d}.jsonl": b"{}" for n in range(1001)}
    # the later backup's manifest sorts past the first page of 1,000 keys
    s3_server.seed(
        bucket,
        big
        | {
            "daily/sigtrack-20261201T160000Z/manifest.json": b"{}",
            "daily/sigtrack-20261202T160000Z/manifest.json": b"{}",
        },
    )
    s3_server.forget_requests()

    assert target.list() == ["sigtrack-20261201T160000Z", "sigtrack-20261202T160000Z"]
    target.delete("sigtrack-20261201T160000Z")

    assert s3_server.keys(bucket) == ["daily/sigtrack-20261202T160000Z/manifest.json"]
    batches = [r for r in s3_server.seen if r.method == "POST"]
    assert len(batches) == 2  # DeleteObjects takes 1,000 keys at most


def test_every_object_is_put_with_its_sha256_checksum(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.create_bucket()
    source = backup_folder(tmp_path)

    target_in(s3_server, bucket).write(BACKUP_ID, source)

    base = f"/{bucket}/daily/{BACKUP_ID}/"
    sent = {
        r.path.removeprefix(base): r.checksum_sha256
        for r in s3_server.seen
        if r.method == "PUT" and r.path.startswith(base)
    }
    assert sent == {
        name: base64.b64encode(hashlib.sha256(body).digest()).decode()
        for name, body in contents(source).items()
    }


def test_a_server_refusing_checksums_gets_the_sha256_metadata_alone(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    target = target_in(s3_server, bucket)
    source = backup_folder(tmp_path / "out")
    s3_server.forget_requests()

    with s3_server.refusing_checksums():
        target.write(BACKUP_ID, source)

    puts = [r for r in s3_server.seen if r.method == "PUT"]
    assert puts[0].checksum_sha256 is not None  # tried once, then no more
    assert all(r.checksum_sha256 is None for r in puts[1:])
    assert contents(target.fetch(BACKUP_ID, tmp_path / "back")) == contents(source)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("/var/backups", "/var/backups"),
        ("s3:/bucket/prefix", "s3:/bucket/prefix"),
        ("s3://", "s3://"),
        ("s3://Bad Bucket/x", "s3://Bad Bucket/x"),
        ("s3://bucket/../up", "s3://bucket/../up"),
        ("s3://bucket/a b", "s3://bucket/a b"),
        ("s3://bucket?x=1", "s3://bucket?x=1"),
        ("s3://AKIAKEY:s3cr3t@bucket/p", "s3://***@bucket/p"),
    ],
)
def test_anything_but_an_s3_url_is_refused_naming_it(url: str, shown: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        S3Target(url)

    assert caught.value.field == "backup_to"
    assert repr(shown) in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_a_trailing_slash_or_doubled_slashes_name_the_same_prefix() -> None:
    assert S3Target("s3://bucket/a//b/").name == "s3://bucket/a/b"
    assert S3Target("s3://bucket/").name == "s3://bucket"


def test_bad_backup_ids_and_endpoints_are_refused(s3_server: S3Server, tmp_path: Path) -> None:
    target = target_in(s3_server, s3_server.create_bucket())
    for backup_id in ["", "..", "a/b", "../x", "with space"]:
        with pytest.raises(InvalidInput) as caught:
            target.write(backup_id, backup_folder(tmp_path))
        assert caught.value.field == "backup_id"
        assert repr(backup_id) in str(caught.value)
    with pytest.raises(InvalidInput, match="s3_endpoint_url"):
        S3Target("s3://bucket", endpoint_url="ftp://127.0.0.1:9000")


def test_a_folder_without_a_manifest_is_not_uploaded(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.create_bucket()
    (tmp_path / "store.sqlite").write_bytes(b"x")

    with pytest.raises(BackupError, match=r"no manifest\.json"):
        target_in(s3_server, bucket).write(BACKUP_ID, tmp_path)
    assert s3_server.keys(bucket) == []


def test_many_targets_write_at_once_without_mixing_objects(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.create_bucket()
    source = backup_folder(tmp_path)
    ids = [f"sigtrack-2026120{n}T160000Z" for n in range(1, 5)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda backup_id: target_in(s3_server, bucket).write(backup_id, source), ids))

    assert target_in(s3_server, bucket).list() == ids
    assert len(s3_server.keys(bucket)) == 4 * 4
