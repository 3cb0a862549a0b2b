"""The store on any S3 API (AWS, SeaweedFS, MinIO, Ceph): ``REGISTRY_STORAGE_URL=s3://bucket/prefix``.

The endpoint and keys come from the standard variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``), never from the URL, so the URL can be shown and logged.
A file goes up with the transfer manager: in parts of ``PART_BYTES``, never whole in memory; an object
appears only once every part is there, so a write is whole here too.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from registry.core.storage_keys import CHUNK_BYTES, NotStored, StorageError, Stored, checked_key

PART_BYTES = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}
_KEYS_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "InvalidToken"}
_lock = threading.Lock()
T = TypeVar("T")


@dataclass(frozen=True)
class S3Storage:
    bucket: str
    prefix: str  # "" or ends with "/"
    endpoint: str  # for messages: the endpoint URL, or "AWS"
    client: Any = field(repr=False, compare=False)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _name(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def _call(self, action: Callable[[], T], *, key: str | None = None) -> T:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

        try:
            return action()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if key is not None and code in _MISSING:
                raise NotStored(key) from None
            raise StorageError(self._refusal(code, str(error.get("Message", "")))) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise StorageError(
                f"No keys for the object store {self.url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
            ) from None
        except BotoCoreError as exc:
            raise StorageError(
                f"The object store at {self.endpoint} cannot be reached ({type(exc).__name__}). "
                "Check AWS_ENDPOINT_URL and that the store is running."
            ) from None

    def _refusal(self, code: str, message: str) -> str:
        if code == "NoSuchBucket" or (code in _MISSING and message in ("", "Not Found")):
            return (
                f"The bucket {self.bucket!r} does not exist at {self.endpoint}. "
                "Create it, or correct the bucket in REGISTRY_STORAGE_URL."
            )
        if code in _KEYS_REFUSED:
            return (
                f"The object store at {self.endpoint} refused the keys ({code}). Check AWS_ACCESS_KEY_ID and "
                f"AWS_SECRET_ACCESS_KEY, and that they may read and write the bucket {self.bucket!r}."
            )
        return f"The object store at {self.endpoint} refused the request for {self.url} ({code}: {message})."

    def check(self) -> None:
        self._call(lambda: self.client.head_bucket(Bucket=self.bucket))
        probe = f"{self.prefix}.registry-check-{uuid.uuid4().hex}"
        self._call(lambda: self.client.put_object(Bucket=self.bucket, Key=probe, Body=b""))
        self._call(lambda: self.client.delete_object(Bucket=self.bucket, Key=probe))

    def put(self, key: str, data: bytes) -> None:
        name = self._name(key)
        self._call(lambda: self.client.put_object(Bucket=self.bucket, Key=name, Body=data))

    def put_file(self, key: str, path: Path) -> None:
        name = self._name(key)
        self._call(lambda: self.client.upload_file(str(path), self.bucket, name, Config=_transfer()))

    def get(self, key: str) -> bytes:
        name = self._name(key)
        body = self._call(lambda: self.client.get_object(Bucket=self.bucket, Key=name)["Body"], key=key)
        return self._call(lambda: bytes(body.read()))

    def get_file(self, key: str, path: Path) -> None:
        name = self._name(key)
        self._call(lambda: self.client.download_file(self.bucket, name, str(path), Config=_transfer()), key=key)

    def exists(self, key: str) -> bool:
        name = self._name(key)
        try:
            self._call(lambda: self.client.head_object(Bucket=self.bucket, Key=name), key=key)
        except NotStored:
            return False
        return True

    def sha256(self, key: str) -> str:
        name = self._name(key)
        body = self._call(lambda: self.client.get_object(Bucket=self.bucket, Key=name)["Body"], key=key)
        digest, chunks = hashlib.sha256(), body.iter_chunks(CHUNK_BYTES)
        while chunk := self._call(lambda: next(chunks, b"")):
            digest.update(chunk)
        return digest.hexdigest()

    def delete(self, key: str) -> None:
        name = self._name(key)
        self._call(lambda: self.client.delete_object(Bucket=self.bucket, Key=name))

    def keys(self, prefix: str) -> Iterator[str]:
        for entry in self.entries(prefix):
            yield entry.key

    def entries(self, prefix: str) -> Iterator[Stored]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        iterator = iter(pages)
        while True:
            page = self._call(lambda: next(iterator, None))
            if page is None:
                return
            for item in page.get("Contents", []):
                key = str(item["Key"])[len(self.prefix) :]
                try:
                    checked_key(key)
                except ValueError:  # not the service's (a folder marker, another tool's object)
                    continue
                yield Stored(key, int(item["Size"]), item["LastModified"].timestamp())


def _transfer() -> Any:
    from boto3.s3.transfer import TransferConfig

    # At most two parts in flight: an upload holds about 16 MB whatever the photo's size.
    return TransferConfig(multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=2)


def s3_storage(url: str) -> S3Storage:
    """The store ``s3://bucket/prefix`` names, with the endpoint and keys of the environment now."""
    parts = urlsplit(url)
    bucket = parts.netloc
    if not bucket or parts.query or parts.fragment or "@" in bucket:
        raise ValueError("REGISTRY_STORAGE_URL must be s3://bucket or s3://bucket/prefix (keys go in AWS_* variables)")
    prefix = parts.path.strip("/")
    try:
        checked_key(prefix) if prefix else None
    except ValueError:
        raise ValueError(f"REGISTRY_STORAGE_URL has a prefix that is not plain: {prefix!r}") from None
    env = os.environ
    key_id, secret = env.get("AWS_ACCESS_KEY_ID") or None, env.get("AWS_SECRET_ACCESS_KEY") or None
    if (key_id is None) != (secret is None):
        raise StorageError("Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the object store, or neither.")
    return _cached(
        bucket,
        f"{prefix}/" if prefix else "",
        env.get("AWS_ENDPOINT_URL") or None,
        key_id,
        secret,
        env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1",
    )


@lru_cache(maxsize=8)
def _cached(
    bucket: str, prefix: str, endpoint: str | None, key_id: str | None, secret: str | None, region: str
) -> S3Storage:
    """One client per store and keys: a client is thread-safe, and making one takes tens of milliseconds."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        # Any S3 API but AWS's own is addressed by path: a bucket's name in the host needs DNS set up for it.
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    with _lock:  # making a session is not thread-safe
        session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=region)
        client = session.client("s3", endpoint_url=endpoint, config=config)
    return S3Storage(bucket, prefix, _shown(endpoint), client)


def _shown(endpoint: str | None) -> str:
    """The endpoint as messages name it: without any user or password written into it."""
    if not endpoint:
        return "AWS"
    parts = urlsplit(endpoint)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return parts._replace(netloc=host).geturl()
