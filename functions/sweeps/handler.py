"""Sweeps function: the EventBridge Scheduler target of the renewal and inactivity sweeps.

Event: {"sweep": "renewal" | "inactivity", "scheduled_time": "<ISO instant>", "resume"?: true}.
A run that nears the time limit hands the rest on to a new asynchronous invocation of this same
function (`invoker`, replaceable in tests); the local stack goes on in-process instead.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from furusato import topology
from furusato.api.observability import event_entrypoint, metrics
from furusato.capabilities import sweeps
from furusato.domain.sweeps import DEFAULT_MARGIN_MS, parse_request
from furusato.settings import settings

MARGIN_MS = int(os.environ.get("FURUSATO_SWEEP_MARGIN_MS", DEFAULT_MARGIN_MS))


def _invoke_async(function_arn: str, payload: dict[str, Any]) -> None:
    """Invoke this function again, asynchronously (its retries and dead-letter queue apply)."""
    import boto3

    client = boto3.client("lambda", region_name=settings().region)
    client.invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload).encode())


class _FreshContext:
    """A new invocation's time budget, for the local stack's in-process continuation."""

    def __init__(self, context: Any) -> None:
        self.function_name = getattr(context, "function_name", "furusato-sweeps")
        self.memory_limit_in_mb = getattr(context, "memory_limit_in_mb", 512)
        self.invoked_function_arn = getattr(context, "invoked_function_arn", "")
        self.aws_request_id = f"{getattr(context, 'aws_request_id', 'local')}-next"
        self._deadline = time.monotonic() + topology.function("sweeps").timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _continue_in_process(function_arn: str, payload: dict[str, Any], context: Any = None) -> None:
    lambda_handler(payload, _FreshContext(context))


def invoker(function_arn: str, payload: dict[str, Any], context: Any = None) -> None:
    if settings().stage == "local":
        _continue_in_process(function_arn, payload, context)
    else:
        _invoke_async(function_arn, payload)


@event_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = parse_request(event)
    result = sweeps.run(
        request,
        remaining_ms=context.get_remaining_time_in_millis,
        hand_off=lambda payload: invoker(context.invoked_function_arn, payload, context),
        margin_ms=MARGIN_MS,
    )
    if result["status"] == "completed":  # counts are cumulative over the run's hand-offs
        for outcome, count in result["counts"].items():
            metrics.add_metric(name=f"{request.sweep}_{outcome}", unit=MetricUnit.Count, value=count)
    return result
