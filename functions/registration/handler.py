"""Registration function: directory, profiles, registrations, identity, premium decisions,
notifications and uploads.

One entry point, two kinds of event:
- S3 (`Records` with `eventSource: aws:s3`): a file stored in the uploads bucket is checked;
- anything else: an API Gateway request.
"""

from typing import Any

from furusato.api.app import api_handler
from furusato.api.observability import api_entrypoint, event_entrypoint
from furusato.routes import directory, identity, me, reviews, staff_settings, statistics
from furusato.routes import uploads as upload_routes

app, handle = api_handler(
    "registration",
    directory.router,
    me.router,
    identity.router,
    staff_settings.router,
    reviews.router,
    upload_routes.router,
    statistics.router,
)


@api_entrypoint
def _api(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context)


@event_entrypoint
def _objects(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from furusato.capabilities import uploads
    from furusato.store.s3 import object_created

    outcomes = []
    for record in event.get("Records") or []:
        parsed = object_created(record)
        outcomes.append(uploads.on_object_created(parsed) if parsed else "ignored:not_object_created")
    return {"outcomes": outcomes}


def _is_s3(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and bool(records) and records[0].get("eventSource") == "aws:s3"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if _is_s3(event):
        return _objects(event, context)
    return _api(event, context)
