"""Streams function: the main table's DynamoDB stream, handed to the registered consumers.

Event: a batch of stream records (`Records`, `eventSource: aws:dynamodb`), already filtered by
item type (topology.STREAM_SOURCES). Answers with the partial batch response: the first record
that failed, from which Lambda delivers again (ReportBatchItemFailures).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from furusato.api.observability import event_entrypoint, metrics
from furusato.streams import dispatch
from furusato.streams.registry import consumers


@event_entrypoint
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    result = dispatch(records, consumers(), lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="stream_changes_applied", unit=MetricUnit.Count, value=result.applied)
    if result.failed_at is not None:
        metrics.add_metric(name="stream_batches_failed", unit=MetricUnit.Count, value=1)
    return result.response()
