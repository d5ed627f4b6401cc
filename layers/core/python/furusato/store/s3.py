"""The one S3 client of a container, and the translation of S3 failures (nothing above store/
sees boto)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

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
