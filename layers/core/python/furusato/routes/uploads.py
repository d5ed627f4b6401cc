"""A person's uploads: `POST /v1/me/uploads` answers a presigned POST; the file goes straight to
S3, and the bucket's ObjectCreated event checks it (functions/registration/handler.py)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.api.schema import FreeMap, Instant, Int, Obj, Str
from furusato.domain import uploads as rules

router = Router()

UPLOAD_IN = Obj(
    "UploadIn",
    {
        "purpose": Str(choices=tuple(rules.PURPOSES), description="what the file is for"),
        "content_type": Str(choices=rules.DOCUMENT_TYPES),
        "size": Int(
            ge=1, le=rules.MAX_DOCUMENT_BYTES, description="bytes; the policy refuses any other size"
        ),
    },
)

UPLOAD_CREATED = Obj(
    "UploadCreated",
    {
        "upload_key": Str(
            pattern=r"upl_[0-9a-z]{26}", description="name it in document_keys or attachment_keys"
        ),
        "purpose": Str(choices=tuple(rules.PURPOSES)),
        "content_type": Str(choices=rules.DOCUMENT_TYPES),
        "size": Int(ge=1),
        "upload": Obj(
            "UploadForm",
            {
                "url": Str(max_length=2048, description="POST a multipart/form-data form here"),
                "fields": FreeMap(max_keys=20, description="form fields to send as they are, before `file`"),
                "method": Str(choices=("POST",)),
            },
        ),
        "expires_at": Instant(description="the upload must start before this instant"),
    },
)


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
