"""Backups in an S3-compatible bucket (AWS, Supabase storage, MinIO) through boto3.

A backup is the objects under `{prefix}/{backup_id}/`; `manifest.json` is uploaded last and
deleted first, so a backup without it (half uploaded, half deleted) is never listed or
fetched. Every object carries the sha256 of its file as metadata (`x-amz-meta-sha256`,
and as ChecksumSHA256 where the server checks it), and `fetch` checks it again.

Credentials come from the environment as boto3 reads them (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION); errors and logs name the target and the file,
never a credential.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from sigtrack.core.errors import BackupError, BackupNotFound, InvalidInput

logger = logging.getLogger(__name__)

Keys = list[str]  # object keys (named here: inside S3Target, `list` is the method)
MANIFEST = "manifest.json"
CHUNK_BYTES = 1 << 20
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
# Bounded: a server that is down fails a call in seconds (3 attempts), not minutes.
CLIENT_CONFIG = Config(
    s3={"addressing_style": "path"},  # Supabase storage and MinIO need path-style URLs
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    # boto3 >= 1.36 adds CRC32 trailers by default, which some S3-compatible servers refuse;
    # we send our own ChecksumSHA256 instead.
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,62}")
_SEGMENT = re.compile(r"[A-Za-z0-9._=+-]+")
_BACKUP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ConnectionClosedError,
    ReadTimeoutError,
)
_WRONG_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidSecurity",
    "AuthorizationHeaderMalformed",
}
_DENIED = {"AccessDenied", "AllAccessDisabled", "Forbidden", "403"}
_NO_BUCKET = {"NoSuchBucket"}
# Answers of a server that does not take (or check) ChecksumSHA256; the upload is retried
# without it and the sha256 metadata stays the proof.
_NO_CHECKSUM_SUPPORT = {"NotImplemented", "InvalidArgument", "InvalidRequest"}


class S3Target:
    """A BackupTarget in `s3://bucket/prefix` (prefix optional)."""

    def __init__(
        self, url: str, *, endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        self._bucket, self._prefix = parse_s3_url(url)
        if endpoint_url is not None and not re.fullmatch(r"https?://[^\s@/]+(/\S*)?", endpoint_url):
            raise InvalidInput(
                "s3_endpoint_url",
                f"must be an http(s):// URL without credentials (got {endpoint_url!r})",
            )
        self._endpoint_url = endpoint_url
        self._region = region
        self._session: Any = None
        self._client_cache: Any = None
        self._checksums = True  # cleared when the server refuses ChecksumSHA256

    @property
    def name(self) -> str:
        return f"s3://{self._bucket}/{self._prefix}" if self._prefix else f"s3://{self._bucket}"

    def write(self, backup_id: str, folder: Path) -> str:
        base = self._backup_key(backup_id)
        files = _files_manifest_last(folder)
        if self._keys(base, during=f"could not write {backup_id!r}"):
            raise BackupError(f"{self.name}: {backup_id!r} already holds objects; not overwritten")
        uploaded: list[str] = []
        for path in files:
            relative = path.relative_to(folder).as_posix()
            try:
                uploaded.append(self._upload(path, base + relative))
            except (BotoCoreError, ClientError, OSError) as exc:
                left = self._remove_best_effort(uploaded)
                tail = f"; {left} object(s) could not be removed" if left else ""
                raise BackupError(
                    f"{self.name}: could not upload {backup_id}/{relative}: "
                    f"{self._reason(exc, 'write to')}{tail}"
                ) from exc
        logger.info("backup %s: %d file(s) uploaded to %s", backup_id, len(files), self.name)
        return f"{self.name}/{backup_id}"

    def list(self) -> list[str]:
        base = f"{self._prefix}/" if self._prefix else ""
        ids = {
            key[len(base) :].removesuffix("/" + MANIFEST)
            for key in self._keys(base, during="listing the backups")
            if key.endswith("/" + MANIFEST) and key[len(base) :].count("/") == 1
        }
        # Ids carry their UTC time (sigtrack-20261202T160000Z), so name order is age order.
        return sorted(ids)

    def fetch(self, backup_id: str, into: Path) -> Path:
        base = self._backup_key(backup_id)
        keys = self._keys(base, during=f"fetching {backup_id!r}")
        if base + MANIFEST not in keys:
            raise BackupNotFound(f"{self.name}: no backup {backup_id!r} (no {MANIFEST} under it)")
        into.mkdir(parents=True, exist_ok=True)
        for key in keys:
            relative = key[len(base) :]
            target = into.joinpath(*relative.split("/"))
            if any(part in {"", ".", ".."} for part in relative.split("/")):
                raise BackupError(f"{self.name}: refusing object {key!r} (not a plain file name)")
            target.parent.mkdir(parents=True, exist_ok=True)
            self._download(key, target, f"{backup_id}/{relative}")
        return into

    def delete(self, backup_id: str) -> None:
        base = self._backup_key(backup_id)
        try:
            self._client().delete_object(Bucket=self._bucket, Key=base + MANIFEST)
        except (BotoCoreError, ClientError) as exc:
            raise BackupError(
                f"{self.name}: could not delete {backup_id}/{MANIFEST}: "
                f"{self._reason(exc, 'delete in')}"
            ) from exc
        rest = self._keys(base, during=f"deleting {backup_id!r}")
        left = self._remove(rest)
        if left:
            raise BackupError(
                f"{self.name}: {backup_id!r} is no longer listed, but {len(left)} object(s) "
                f"could not be deleted (first: {left[0]})"
            )

    # -- the calls ---------------------------------------------------------------------

    def _client(self) -> Any:
        if self._client_cache is None:
            self._session = boto3.session.Session()
            self._client_cache = self._session.client(
                "s3",
                endpoint_url=self._endpoint_url,
                region_name=self._region,
                config=CLIENT_CONFIG,
            )
        return self._client_cache

    def _backup_key(self, backup_id: str) -> str:
        if not _BACKUP_ID.fullmatch(backup_id) or backup_id in {".", ".."}:
            raise InvalidInput(
                "backup_id", f"must be letters, digits, '.', '_' or '-' (got {backup_id!r})"
            )
        return f"{self._prefix}/{backup_id}/" if self._prefix else f"{backup_id}/"

    def _keys(self, prefix: str, *, during: str) -> Keys:
        """Every key under `prefix`, across pages (1,000 keys a page)."""
        keys: Keys = []
        try:
            pages = self._client().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self._bucket, Prefix=prefix):
                keys.extend(str(item["Key"]) for item in page.get("Contents", []))
        except (BotoCoreError, ClientError) as exc:
            raise BackupError(f"{self.name}: {during}: {self._reason(exc, 'list')}") from exc
        return keys

    def _upload(self, path: Path, key: str) -> str:
        digest = _sha256(path)
        with path.open("rb") as body:
            try:
                self._put(key, body, digest)
            except ClientError as exc:
                if not self._checksums or _code(exc) not in _NO_CHECKSUM_SUPPORT:
                    raise
                logger.info(
                    "%s refused ChecksumSHA256 (%s); sha256 metadata only", self.name, _code(exc)
                )
                self._checksums = False
                body.seek(0)
                self._put(key, body, digest)
        return key

    def _put(self, key: str, body: BinaryIO, digest: bytes) -> None:
        extra: dict[str, str] = {}
        if self._checksums:
            extra = {"ChecksumSHA256": base64.b64encode(digest).decode("ascii")}
        self._client().put_object(
            Bucket=self._bucket, Key=key, Body=body, Metadata={"sha256": digest.hex()}, **extra
        )

    def _download(self, key: str, target: Path, shown: str) -> None:
        try:
            answer = self._client().get_object(Bucket=self._bucket, Key=key)
            expected = str(answer.get("Metadata", {}).get("sha256", ""))
            digest = hashlib.sha256()
            with target.open("wb") as out:
                for chunk in answer["Body"].iter_chunks(CHUNK_BYTES):
                    digest.update(chunk)
                    out.write(chunk)
        except (BotoCoreError, ClientError) as exc:
            raise BackupError(
                f"{self.name}: could not download {shown}: {self._reason(exc, 'read')}"
            ) from exc
        if not expected:
            raise BackupError(f"{self.name}: {shown} has no sha256 metadata; not a sigtrack object")
        if digest.hexdigest() != expected:
            raise BackupError(
                f"{self.name}: {shown} is damaged: sha256 {digest.hexdigest()} "
                f"!= {expected} recorded at upload"
            )

    def _remove(self, keys: Keys) -> Keys:
        """Delete `keys` in batches; returns the keys that could not be deleted."""
        left: Keys = []
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            try:
                answer = self._client().delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            except (BotoCoreError, ClientError) as exc:
                logger.warning(
                    "%s: deleting %d object(s) failed: %s",
                    self.name,
                    len(batch),
                    self._reason(exc, "delete in"),
                )
                left.extend(batch)
                continue
            left.extend(str(error["Key"]) for error in answer.get("Errors", []))
        return left

    def _remove_best_effort(self, keys: Keys) -> int:
        left = self._remove(keys)
        if left:
            logger.warning(
                "%s: %d object(s) of a failed write are left: %s", self.name, len(left), left[:5]
            )
        return len(left)

    # -- errors in plain words -----------------------------------------------------------

    def _reason(self, exc: Exception, verb: str) -> str:
        return self._without_secret(_plain_reason(exc, verb, self._bucket, self._endpoint_url))

    def _without_secret(self, text: str) -> str:
        """The message with the secret key cut out, in case a server echoes it."""
        credentials = self._session.get_credentials() if self._session is not None else None
        secret = getattr(credentials, "secret_key", None) if credentials is not None else None
        return text.replace(secret, "***") if secret else text


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix"); InvalidInput otherwise."""
    shown = re.sub(r"^(s3://)[^/]*@", r"\1***@", url)  # never echo credentials put in a URL
    if not url.startswith("s3://"):
        raise InvalidInput("backup_to", f"must be s3://bucket/prefix (got {shown!r})")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise InvalidInput(
            "backup_to",
            f"bucket must be 2-63 letters, digits, '.', '_' or '-' (got {shown!r})",
        )
    segments = [segment for segment in prefix.split("/") if segment]
    if any(not _SEGMENT.fullmatch(s) or s in {".", ".."} for s in segments):
        raise InvalidInput(
            "backup_to",
            f"prefix must be names of letters, digits, '.', '_', '=', '+' or '-' between '/' "
            f"(got {shown!r})",
        )
    return bucket, "/".join(segments)


def _files_manifest_last(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise BackupError(f"{folder}: not a folder to back up")
    files = sorted(
        (path for path in folder.rglob("*") if path.is_file()),
        key=lambda path: path.relative_to(folder).as_posix(),
    )
    manifest = folder / MANIFEST
    if manifest not in files:
        raise BackupError(f"{folder}: no {MANIFEST}; a backup without one is not a backup")
    files.remove(manifest)
    return [*files, manifest]


def _sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.digest()


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")) or str(
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
    )


def _plain_reason(exc: Exception, verb: str, bucket: str, endpoint_url: str | None) -> str:
    where = endpoint_url or "the AWS endpoint"
    if isinstance(exc, _UNREACHABLE):
        return f"server unreachable at {where} ({type(exc).__name__}, after retries)"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    if isinstance(exc, ClientError):
        code = _code(exc)
        if code in _WRONG_CREDENTIALS:
            return f"wrong credentials: the server refused the access key or secret ({code})"
        if code in _DENIED:
            return f"access denied: these credentials may not {verb} bucket {bucket!r} ({code})"
        if code in _NO_BUCKET:
            return f"bucket {bucket!r} does not exist at {where}"
        message = str(exc.response.get("Error", {}).get("Message", "")) or "no message"
        return f"the server answered {code}: {message}"
    if isinstance(exc, OSError):
        return f"cannot read the file ({exc.strerror or exc})"
    return f"{type(exc).__name__}: {exc}"
