"""A person's uploads: the presigned POST a client asks for."""

from __future__ import annotations

from furusato.api.schema import FreeMap, Instant, Int, Obj, Str
from furusato.domain import uploads as rules

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
