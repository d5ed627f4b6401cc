"""Files people upload (documents, images): what is accepted, and how a stored file is judged.

Pure rules, no I/O. A file is checked twice (docs/uploads.md):
1. before it exists: the request names its purpose, media type and size, and the presigned
   POST's policy makes S3 refuse any other size or `Content-Type`;
2. after it is stored: its first bytes must be those of the declared type (a renamed `.exe`
   sent as `image/png` passes the policy, never the sniff), and its stored size within limits.
A file that fails the second check is deleted and its owner is told.

Each purpose lists its media types and its size limit, so another use (page images...) adds a
`Purpose` and reuses everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from furusato.domain import ids
from furusato.domain.errors import InvalidInput

MiB = 1024 * 1024
PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCUMENT_TYPES = (PDF, JPEG, PNG)
MAX_DOCUMENT_BYTES = 10 * MiB

# Enough leading bytes to recognise every type below.
SNIFF_BYTES = 16

# Leading bytes of each media type. PDF readers accept a header within the first 1024 bytes, but
# every conforming writer puts `%PDF-` first: anything else is refused rather than guessed.
MAGIC: dict[str, tuple[bytes, ...]] = {
    PDF: (b"%PDF-",),
    JPEG: (b"\xff\xd8\xff",),
    PNG: (b"\x89PNG\r\n\x1a\n",),
}

Status = Literal["pending", "accepted", "rejected"]
Rejection = Literal["empty", "too_large", "type_mismatch"]

UPLOAD_ID = re.compile(ids.UPLOAD_ID)


@dataclass(frozen=True)
class Purpose:
    name: str
    content_types: tuple[str, ...]
    max_bytes: int
    # Who may read the file besides its owner, in words for docs and errors.
    readers: str


PURPOSES: dict[str, Purpose] = {
    "review_document": Purpose(
        "review_document",
        DOCUMENT_TYPES,
        MAX_DOCUMENT_BYTES,
        "the coordinators of the government whose premium application it is attached to",
    ),
    "support_document": Purpose(
        "support_document",
        DOCUMENT_TYPES,
        MAX_DOCUMENT_BYTES,
        "the coordinators of the government whose support application it is attached to",
    ),
}


# Files staff upload for their government (owner `lg-{lg_code}`), never through /v1/me/uploads.
MAX_PAGE_IMAGE_BYTES = 5 * MiB
STAFF_PURPOSES: dict[str, Purpose] = {
    "page_image": Purpose(
        "page_image",
        (JPEG, PNG),
        MAX_PAGE_IMAGE_BYTES,
        "anyone reading the government's introduction page, through short-lived links",
    ),
}
ALL_PURPOSES: dict[str, Purpose] = {**PURPOSES, **STAFF_PURPOSES}


def government_owner(lg_code: str) -> str:
    """The owner of a government's files (a person's owner is their sub)."""
    return f"lg-{lg_code}"


def purpose(name: str) -> Purpose:
    found = ALL_PURPOSES.get(name)
    if found is None:
        raise InvalidInput("unknown purpose", details={"purpose": f"one of: {', '.join(PURPOSES)}"})
    return found


def check_request(purpose_name: str, content_type: str, size: int) -> Purpose:
    """The first check: a known purpose, one of its media types, 1 byte to its limit."""
    rules = purpose(purpose_name)
    errors: dict[str, str] = {}
    if content_type not in rules.content_types:
        errors["content_type"] = f"one of: {', '.join(rules.content_types)}"
    if not 1 <= size <= rules.max_bytes:
        errors["size"] = f"1 to {rules.max_bytes} bytes ({rules.max_bytes // MiB} MB)"
    if errors:
        raise InvalidInput("the upload is not accepted", details=errors)
    return rules


def sniff(head: bytes) -> str | None:
    """The media type the leading bytes prove, or None."""
    for content_type, signatures in MAGIC.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    return None


def judge(rules: Purpose, declared_type: str, head: bytes, stored_size: int) -> Rejection | None:
    """The second check, on the stored object: None when it is accepted."""
    if stored_size <= 0 or not head:
        return "empty"
    if stored_size > rules.max_bytes:
        return "too_large"
    if sniff(head) != declared_type or declared_type not in rules.content_types:
        return "type_mismatch"
    return None


# What the owner is told when a file is removed (title, body), in the app's language.
REJECTION_MESSAGES: dict[str, str] = {
    "empty": "ファイルが空でした。",
    "too_large": f"ファイルが大きすぎます（上限 {MAX_DOCUMENT_BYTES // MiB} MB）。",
    "type_mismatch": "PDF・JPEG・PNG のいずれかのファイルではありませんでした。",
}


def rejection_notice(reason: str) -> tuple[str, str]:
    detail = REJECTION_MESSAGES.get(reason, "ファイルを確認できませんでした。")
    return (
        "アップロードしたファイルを受け付けられませんでした",
        f"{detail}ファイルは削除しました。PDF・JPEG・PNG（10 MB まで）で、もう一度アップロードしてください。",
    )


def object_key(owner: str, upload_id: str) -> str:
    """Where the file lives: under its owner, so everything a person uploaded is one prefix."""
    return f"uploads/{owner}/{upload_id}"


def parse_object_key(key: str) -> tuple[str, str] | None:
    """(owner, upload_id) of an object key made by `object_key`, else None."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "uploads" or not parts[1] or not UPLOAD_ID.fullmatch(parts[2]):
        return None
    return parts[1], parts[2]
