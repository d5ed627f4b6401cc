"""Imports function: the backfill routes and the S3 ObjectCreated trigger of the imports bucket.

One entry point, two kinds of event:
- S3 (`Records` with `eventSource: aws:s3`): an uploaded file starts (or resumes) its job; a
  job's `.run` marker (written on commit, or when a large import hands on before the time
  limit) runs it again;
- the `imports-recovery` schedule: restart every job whose run died (capabilities.imports.run);
- anything else: an API Gateway request.
"""

from __future__ import annotations

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint, event_entrypoint
from furusato.capabilities.imports.jobs import RECOVERY_SCHEDULE
from furusato.routes import imports as import_routes
from furusato.store.s3 import object_created

app, handle = api_handler("imports", import_routes.router)


def _remaining(context: Any) -> Any:
    return getattr(context, "get_remaining_time_in_millis", lambda: 900_000)


@api_entrypoint
def _api(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)


@event_entrypoint
def _objects(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The run (backfill, matching, the readers) loads for S3 events only: not on the API's cold start.
    from furusato.capabilities.imports import trigger

    outcomes = []
    for record in event.get("Records") or []:
        parsed = object_created(record)
        if parsed is None:
            outcomes.append("ignored:not_object_created")
            continue
        outcomes.append(trigger.on_object_created(parsed, remaining_ms=_remaining(context)))
    return {"outcomes": outcomes}


def _is_s3(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and bool(records) and records[0].get("eventSource") == "aws:s3"


@event_entrypoint
def _recover(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from furusato.capabilities.imports import run

    return run.restart_stalled()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if _is_s3(event):
        return _objects(event, context)
    if event.get("sweep") == RECOVERY_SCHEDULE:
        return _recover(event, context)
    return _api(event, context)
