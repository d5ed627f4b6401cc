"""The one S3 client of a container, the translation of S3 failures (nothing above store/
sees boto), presigned links, and the buckets' ObjectCreated notifications."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from furusato import clock
from furusato.domain.errors import Unavailable
from furusato.settings import settings

RETRYABLE = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"})
MISSING = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound", "InvalidArgument"})


class ObjectMissing(Exception):
    """The object (or that version of it) is gone: deleted, or expired by the lifecycle."""


@lru_cache(maxsize=1)
def client() -> Any:
    """Created on first use: most requests never need it."""
    import boto3
    from botocore.config import Config

    config = settings()
    return boto3.client(
        "s3",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
    )


@contextmanager
def s3_errors() -> Iterator[None]:
    """A missing object -> ObjectMissing; throttling and S3's own failures -> Unavailable."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in MISSING:
            raise ObjectMissing(code) from exc
        if code in RETRYABLE:
            raise Unavailable() from exc
        raise
    except BotoCoreError as exc:
        raise Unavailable() from exc


class PresignedPost(NamedTuple):
    """A browser-form upload: POST the `fields` and the file to `url` until `expires_at`."""

    url: str
    fields: dict[str, str]
    expires_at: str


def presigned_post(
    bucket: str, key: str, *, content_type: str, max_bytes: int, expires_s: int
) -> PresignedPost:
    """A browser-form upload of exactly this key. The policy fixes the key, the Content-Type and
    the size (1 to max_bytes): S3 itself refuses anything else."""
    expires_at = clock.iso(clock.now() + timedelta(seconds=expires_s))
    with s3_errors():
        signed = client().generate_presigned_post(
            Bucket=bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                ["content-length-range", 1, max_bytes],
                {"Content-Type": content_type},
            ],
            ExpiresIn=expires_s,
        )
    fields = {str(k): str(v) for k, v in signed["fields"].items()}
    return PresignedPost(str(signed["url"]), fields, expires_at)


def presigned_get(
    bucket: str,
    key: str,
    *,
    expires_s: int,
    content_type: str | None = None,
    version: str | None = None,
    filename: str | None = None,
) -> str:
    """A short-lived link to read the object (that `version` of it): an attachment named
    `filename`, else shown inline; served as `content_type` when given."""
    params = {
        "Bucket": bucket,
        "Key": key,
        "ResponseContentDisposition": f'attachment; filename="{filename}"' if filename else "inline",
    }
    if content_type:
        params["ResponseContentType"] = content_type
    if version and version != "null":
        params["VersionId"] = version
    with s3_errors():
        return str(client().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s))


class ObjectCreated(NamedTuple):
    """One ObjectCreated record of a bucket's notification (its key decoded)."""

    bucket: str
    key: str
    version: str  # "null" in a bucket without versioning
    etag: str = ""
    size: int = 0


def object_created(record: dict[str, Any]) -> ObjectCreated | None:
    """The object a notification record reports created; None for any other record."""
    s3 = record.get("s3") or {}
    obj = s3.get("object") or {}
    if not str(record.get("eventName", "")).startswith("ObjectCreated") or "key" not in obj:
        return None
    return ObjectCreated(
        bucket=str((s3.get("bucket") or {}).get("name", "")),
        key=unquote_plus(str(obj["key"])),  # S3 notifications carry the key form-encoded
        version=str(obj.get("versionId") or "null"),
        etag=str(obj.get("eTag") or ""),
        size=int(obj.get("size") or 0),
    )
