"""An upload as its owner sees it when asking to send a file (a page image's owner, the
government, asked for that purpose), and an attached document as the record it belongs to shows
it."""

from __future__ import annotations

from typing import Any

from furusato.store.s3 import PresignedPost
from furusato.store.uploads import Upload


def upload_view(upload: Upload, post: PresignedPost) -> dict[str, Any]:
    """The new upload with the presigned POST that stores it."""
    return {
        "upload_key": upload.upload_id,
        "purpose": upload.purpose,
        "content_type": upload.content_type,
        "size": upload.size,
        "upload": {"url": post.url, "fields": post.fields, "method": "POST"},
        "expires_at": post.expires_at,
    }


def page_image_upload_view(upload: Upload, post: PresignedPost) -> dict[str, Any]:
    """A new image of the introduction page: its route names the purpose."""
    return {k: v for k, v in upload_view(upload, post).items() if k != "purpose"}


def document_view(doc: dict[str, Any], url: str) -> dict[str, Any]:
    """An attached document (as the record keeps it) with its short-lived link."""
    return {
        "upload_key": doc["upload_key"],
        "content_type": doc["content_type"],
        "size": int(doc["size"]),
        "url": url,
    }
