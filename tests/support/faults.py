"""Fault injection below botocore's retry loop (so retries are botocore's own)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def throttle(times: int) -> tuple[list[int], Any]:
    """A botocore `before-send` hook that answers throttling `times` times, then lets requests
    through; `seen[0]` counts the requests it saw."""
    seen = [0]

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        seen[0] += 1
        if seen[0] > times:
            return None
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
        ).encode()
        headers = {"x-amzn-RequestId": "throttled", "Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 400, headers, _Raw(body))

    return seen, hook


def time_out() -> tuple[list[int], Any]:
    """A `before-send` hook for which the store never answers in time: every request raises
    botocore's read timeout (after botocore's own retries, the caller sees it)."""
    from botocore.exceptions import ReadTimeoutError

    seen = [0]

    def hook(request: Any, **_: Any) -> None:
        seen[0] += 1
        raise ReadTimeoutError(endpoint_url=request.url)

    return seen, hook


def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retries without their waits."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.001)
