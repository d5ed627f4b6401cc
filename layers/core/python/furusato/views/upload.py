"""An upload as its owner sees it when asking to send a file, and an attached document as the
record it belongs to shows it."""

from __future__ import annotations

from typing import Any

from furusato.store.uploads import Upload


def upload_view(upload: Upload, *, url: str, fields: dict[str, str], expires_at: str) -> dict[str, Any]:
    """The new upload with its presigned POST (`url`, `fields`), valid until `expires_at`."""
    return {
        "upload_key": upload.upload_id,
        "purpose": upload.purpose,
        "content_type": upload.content_type,
        "size": upload.size,
        "upload": {"url": url, "fields": fields, "method": "POST"},
        "expires_at": expires_at,
    }


def document_view(doc: dict[str, Any], url: str) -> dict[str, Any]:
    """An attached document (as the record keeps it) with its short-lived link."""
    return {
        "upload_key": doc["upload_key"],
        "content_type": doc["content_type"],
        "size": int(doc["size"]),
        "url": url,
    }
