"""A person's uploads: `POST /v1/me/uploads` answers a presigned POST; the file goes straight to
S3, and the bucket's ObjectCreated event checks it (functions/registration/handler.py)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.shapes.uploads import UPLOAD_CREATED, UPLOAD_IN

router = Router()


@router.post("/v1/me/uploads")
@endpoint(
    router,
    "Upload a file (PDF, JPEG or PNG, at most 10 MB): a presigned POST; the stored file is checked "
    "and removed if it is not what it says (notification upload_rejected)",
    body=UPLOAD_IN,
    responses={201: UPLOAD_CREATED},
    idempotent=True,
)
def create_upload(body: dict[str, Any]) -> Response[Any]:
    who = auth.registrant(router)
    from furusato.capabilities import uploads  # not on the cold path of the function's other routes

    view = uploads.create(
        who.sub, purpose=body["purpose"], content_type=body["content_type"], size=body["size"]
    )
    return json_response(201, view, headers={"Cache-Control": "no-store"})
