"""A real S3 server on 127.0.0.1 for the backup tests: moto's server mode behind a thin
WSGI layer that records the requests it saw and fails them on purpose.

    from s3_server import S3Server, s3_server_fixture  # noqa: F401  (the `s3_server` fixture)

    def test_backup_goes_to_the_bucket(s3_server: S3Server) -> None:
        bucket = s3_server.create_bucket()
        target = S3Target(f"s3://{bucket}/daily", endpoint_url=s3_server.endpoint_url)
        ...

The `s3_server` fixture sets fake credentials in the environment (`s3_server.env`, with
SIGTRACK_S3_ENDPOINT_URL), so boto3 never looks for real ones or for AWS: every client
must be given `endpoint_url` (the conftest refuses any address beyond loopback anyway).
Faults: `fail_requests(after=2, methods={"PUT"})` answers 503 from the third PUT on;
`refusing_checksums()` answers 501 to a request with ChecksumSHA256;
`checking_credentials()` makes moto check access keys (it accepts any key otherwise).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.models import s3_backends
from werkzeug.serving import make_server

REGION = "us-east-1"
ACCESS_KEY_ID = "AKIASIGTRACKTEST0001"
SECRET_ACCESS_KEY = (
    "sigtrack-test-secret-do-not-echo-0123456789"  # a fake, never sent beyond loopback
)


@dataclass(frozen=True, slots=True)
class SeenRequest:
    method: str
    path: str  # "/bucket/key", path-style
    checksum_sha256: str | None  # the x-amz-checksum-sha256 header, base64


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


class _Recorder:
    """WSGI layer in front of moto: logs each request, answers 503 when told to."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.seen: list[SeenRequest] = []
        self._fail_methods: frozenset[str] = frozenset()
        self._fail_after: int | None = None
        self._matched = 0
        self.refuse_checksums = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = str(environ["REQUEST_METHOD"])
        with self._lock:
            checksum = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
            self.seen.append(SeenRequest(method, str(environ.get("PATH_INFO", "")), checksum))
            failing = self.refuse_checksums and checksum is not None
            if self._fail_after is not None and method in self._fail_methods:
                self._matched += 1
                failing = failing or self._matched > self._fail_after
        if not failing:
            return self._app(environ, start_response)
        # take the body (exactly: a bare read() would wait for the client to hang up)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length or environ.get("wsgi.input_terminated"):
            environ["wsgi.input"].read(length or -1)
        status, code = "503 Service Unavailable", b"ServiceUnavailable"
        if self.refuse_checksums and environ.get("HTTP_X_AMZ_CHECKSUM_SHA256"):
            status, code = "501 Not Implemented", b"NotImplemented"
        body = (
            b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>" + code + b"</Code>"
            b"<Message>the test server is failing this request on purpose</Message></Error>"
        )
        start_response(
            status,
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def fail(self, *, after: int | None, methods: Iterable[str]) -> None:
        with self._lock:
            self._fail_after = after
            self._fail_methods = frozenset(methods)
            self._matched = 0


class S3Server:
    """moto's S3 (and IAM) on 127.0.0.1:<free port>, in a thread of this process."""

    _names = itertools.count(1)

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
        self._recorder = _Recorder(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            "127.0.0.1", 0, self._recorder, threaded=True, request_handler=MotoRequestHandler
        )
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_port}"
        self.region = REGION
        self.credentials = Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to reach this server and nothing else."""
        return {
            "AWS_ACCESS_KEY_ID": self.credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.credentials.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "SIGTRACK_S3_ENDPOINT_URL": self.endpoint_url,
        }

    def client(self, service: str = "s3", credentials: Credentials | None = None) -> Any:
        """A boto3 client of this server (never of AWS)."""
        chosen = credentials or self.credentials
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=chosen.access_key_id,
            aws_secret_access_key=chosen.secret_access_key,
            config=Config(s3={"addressing_style": "path"}),
        )

    def create_bucket(self, name: str | None = None) -> str:
        """A new bucket (a fresh name unless given); returns its name."""
        bucket = name or f"sigtrack-test-{next(self._names)}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2")
        return [
            str(item["Key"])
            for page in pages.paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]

    def seed(self, bucket: str, objects: dict[str, bytes], *, with_sha256: bool = True) -> None:
        """Put many objects at once straight into moto's store (the one this server serves),
        as `S3Target.write` would have (sha256 metadata); for volume, where 1,000 PUTs
        over HTTP would take seconds."""
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        for key, body in objects.items():
            stored = backend.put_object(bucket, key, body)
            if with_sha256:
                stored.set_metadata({"x-amz-meta-sha256": hashlib.sha256(body).hexdigest()})

    @property
    def seen(self) -> list[SeenRequest]:
        """The requests the server saw, in order (S3 and IAM alike)."""
        return list(self._recorder.seen)

    def forget_requests(self) -> None:
        self._recorder.seen.clear()

    @contextmanager
    def fail_requests(self, *, after: int, methods: Iterable[str] = ("PUT",)) -> Iterator[None]:
        """Within the block, answer 503 to every request of `methods` after the first `after`."""
        self._recorder.fail(after=after, methods=methods)
        try:
            yield
        finally:
            self._recorder.fail(after=None, methods=())

    @contextmanager
    def refusing_checksums(self) -> Iterator[None]:
        """Within the block, answer 501 NotImplemented to requests with ChecksumSHA256,
        as S3-compatible servers that do not take it do."""
        self._recorder.refuse_checksums = True
        try:
            yield
        finally:
            self._recorder.refuse_checksums = False

    @contextmanager
    def checking_credentials(self) -> Iterator[Credentials]:
        """Within the block moto checks access keys and IAM policies; yields a key that may
        do anything with S3 (any other key is refused)."""
        iam = self.client("iam")
        user = f"sigtrack-backup-{next(self._names)}"
        iam.create_user(UserName=user)
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
        iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        self._set_auth_count("0")
        try:
            yield Credentials(str(key["AccessKeyId"]), str(key["SecretAccessKey"]))
        finally:
            self._set_auth_count("inf")

    def _set_auth_count(self, value: str) -> None:
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/reset-auth",
            data=value.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},  # a form type would be parsed away
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200


_running: S3Server | None = None
_starting = threading.Lock()


def running_server() -> S3Server:
    """The one server of this test process, started on first use (a daemon thread, gone
    with the process), so that importing the `s3_server` fixture alone is enough."""
    global _running  # noqa: PLW0603 (one server per test process, shared by the tests)
    with _starting:
        if _running is None:
            _running = S3Server()
            _running.start()
        return _running


@pytest.fixture(name="s3_server")
def s3_server_fixture(monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The process's S3 server, its fake credentials in the environment, its log cleared."""
    server = running_server()
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    server.forget_requests()
    return server
