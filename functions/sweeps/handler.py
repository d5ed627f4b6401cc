"""Sweeps function: the EventBridge Scheduler target of the renewal and inactivity sweeps.

Event: {"sweep": "renewal" | "inactivity", "scheduled_time": "<ISO instant>", "resume"?: true}.
A run that nears the time limit hands the rest on to a new asynchronous invocation of this same
function through `invoker`. Here that is Lambda's asynchronous Invoke; whoever hosts the function
elsewhere replaces it (the local stack's FunctionHost, tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from furusato.api.observability import event_entrypoint, metrics
from furusato.capabilities import sweeps
from furusato.domain.sweeps import DEFAULT_MARGIN_MS, parse_request
from furusato.settings import settings


def _invoke_async(function_arn: str, payload: dict[str, Any]) -> None:
    """Invoke this function again, asynchronously (its retries and dead-letter queue apply)."""
    import boto3

    client = boto3.client("lambda", region_name=settings().region)
    client.invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload).encode())


# (this function's ARN, the next invocation's event): starts that invocation and returns at once.
invoker: Callable[[str, dict[str, Any]], None] = _invoke_async


@event_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = parse_request(event)
    result = sweeps.run(
        request,
        remaining_ms=context.get_remaining_time_in_millis,
        hand_off=lambda payload: invoker(context.invoked_function_arn, payload),
        margin_ms=settings().sweep_margin_ms or DEFAULT_MARGIN_MS,
    )
    if result["status"] == "completed":  # counts are cumulative over the run's hand-offs
        for outcome, count in result["counts"].items():
            metrics.add_metric(name=f"{request.sweep}_{outcome}", unit=MetricUnit.Count, value=count)
    return result
